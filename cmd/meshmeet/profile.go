package main

import (
	"os"
	"runtime/pprof"

	"github.com/urfave/cli/v2"
)

// profileOut is the open --cpuprofile file, if any.
var profileOut *os.File

// startProfile starts the CPU profile --cpuprofile asks for: the load test profiles its
// relay node (a process of its own) and itself this way.
func startProfile(c *cli.Context) error {
	f := c.String("cpuprofile")
	if f == "" {
		return nil
	}
	out, err := os.Create(f)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return err
	}
	profileOut = out
	return nil
}

// stopProfile ends it once the command returns (for a node: after SIGINT).
func stopProfile(*cli.Context) error {
	if profileOut == nil {
		return nil
	}
	pprof.StopCPUProfile()
	return profileOut.Close()
}
