package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// The bash and zsh scripts are urfave/cli's (autocomplete/ in its
// repository): they ask the binary itself for candidates through
// --generate-bash-completion, so they never go stale. Fish gets a static
// script generated from the command tree.
const bashCompletion = `# bash completion for meshmeet; source it, or put it in /usr/share/bash-completion/completions/meshmeet
_meshmeet_complete() {
  local cur words cword opts
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:$COMP_CWORD}")
  if [[ "$cur" == "-"* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
}
complete -o bashdefault -o default -F _meshmeet_complete meshmeet
`

const zshCompletion = `#compdef meshmeet
# zsh completion for meshmeet; put it as _meshmeet in a directory of $fpath
_meshmeet() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _meshmeet meshmeet
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Action: func(c *cli.Context) error {
			switch c.Args().First() {
			case "bash":
				fmt.Print(bashCompletion)
			case "zsh":
				fmt.Print(zshCompletion)
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return fmt.Errorf("generate the fish completion: %w", err)
				}
				fmt.Print(s)
			default:
				return cli.Exit("usage: meshmeet completion bash|zsh|fish", 2)
			}
			return nil
		},
	}
}

func manCommand() *cli.Command {
	return &cli.Command{
		Name:  "man",
		Usage: "print the manual page (roff); install it as meshmeet.1",
		Action: func(c *cli.Context) error {
			s, err := c.App.ToManWithSection(1)
			if err != nil {
				return fmt.Errorf("generate the manual page: %w", err)
			}
			fmt.Print(s)
			return nil
		},
	}
}
