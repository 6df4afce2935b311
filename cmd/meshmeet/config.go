package main

import (
	"fmt"
	"slices"
	"sort"

	"github.com/BurntSushi/toml"
	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
)

// configFlag names the TOML file a service reads its settings from. Its keys
// are the command's flag names (data-dir = "/var/lib/meshmeet", rendezvous =
// ["/ip4/…"]); a flag on the command line, then its MESHMEET_* variable,
// win over the file.
func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "TOML file whose keys are this command's flag names (flags and MESHMEET_* variables win over it)", EnvVars: env("CONFIG")}
}

// withConfig makes cmd read its flags from --config too: its flags are
// wrapped so altsrc can set them, and a Before hook loads the file.
func withConfig(cmd *cli.Command) *cli.Command { return withConfigOf(cmd, true) }

// withConfigOf is withConfig; strict refuses keys that are not cmd's flags
// (doctor reads the node's file and skips the keys it has no use for).
func withConfigOf(cmd *cli.Command, strict bool) *cli.Command {
	for i, f := range cmd.Flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			cmd.Flags[i] = altsrc.NewStringFlag(f)
		case *cli.StringSliceFlag:
			cmd.Flags[i] = altsrc.NewStringSliceFlag(f)
		case *cli.BoolFlag:
			cmd.Flags[i] = altsrc.NewBoolFlag(f)
		case *cli.IntFlag:
			cmd.Flags[i] = altsrc.NewIntFlag(f)
		case *cli.DurationFlag:
			cmd.Flags[i] = altsrc.NewDurationFlag(f)
		}
	}
	cmd.Flags = append(cmd.Flags, configFlag())
	cmd.Before = func(c *cli.Context) error {
		path := c.String("config")
		if path == "" {
			return nil
		}
		src, err := loadConfig(path, cmd.Flags, strict)
		if err != nil {
			return cli.Exit(err.Error(), 2)
		}
		return altsrc.ApplyInputSourceValues(c, src, cmd.Flags)
	}
	return cmd
}

// loadConfig reads a flat TOML file and refuses keys that are not flags of
// the command, so a typo does not pass silently.
func loadConfig(path string, flags []cli.Flag, strict bool) (altsrc.InputSourceContext, error) {
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		return nil, fmt.Errorf("the config file %s cannot be read: %w", path, err)
	}
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := map[any]any{}
	for _, k := range keys {
		if k == "config" || !slices.Contains(names, k) {
			if !strict {
				continue
			}
			return nil, fmt.Errorf("the config file %s has the key %q, which is not a flag of this command", path, k)
		}
		v := raw[k]
		if n, ok := v.(int64); ok { // TOML integers are int64; altsrc wants int
			v = int(n)
		}
		vals[k] = v
	}
	return altsrc.NewMapInputSource(path, vals), nil
}
