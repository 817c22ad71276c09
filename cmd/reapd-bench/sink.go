package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/reapd/reapd/bench/ingestload"
)

// runSink is "reapd-bench sink": the raw sink as a process of its own (so
// its CPU time and RSS are its own), serving until SIGTERM. It prints
// "sink listening on http://ADDR" when ready.
func runSink(args []string) error {
	fs := flag.NewFlagSet("reapd-bench sink", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "listen address")
	dir := fs.String("dir", "", "directory to write into")
	_ = fs.Parse(args)
	if *dir == "" {
		return fmt.Errorf("sink: -dir is required")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("sink listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: &ingestload.Sink{Dir: *dir}}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
