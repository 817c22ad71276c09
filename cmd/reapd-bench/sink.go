package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reapd/reapd/bench/ingestload"
)

// runSink is "reapd-bench sink": the raw sink as a process of its own (so
// its CPU time and RSS are its own), serving until SIGTERM. It prints
// "sink listening on http://ADDR" when ready.
func runSink(args []string) error {
	fs := flag.NewFlagSet("reapd-bench sink", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "listen address")
	dir := fs.String("dir", "", "directory to write into")
	endpoint := fs.String("s3", "", "instead of -dir: the endpoint (http://ADDR) of the bench's S3 server, to write into its bucket "+benchBucket)
	_ = fs.Parse(args)
	var h http.Handler = &ingestload.Sink{Dir: *dir}
	switch {
	case *endpoint != "":
		h = &ingestload.S3Sink{Client: benchS3Client(*endpoint), Bucket: benchBucket}
	case *dir == "":
		return fmt.Errorf("sink: -dir or -s3 is required")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("sink listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: h}
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

// benchBucket is the bucket of the bench's S3 server (startVersity).
const benchBucket = "bkt"

// benchS3Client is a client of the bench's S3 server at endpoint, set up
// as reapd's S3 store sets up its own (path-style, the SDK's defaults).
func benchS3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(benchS3Key, benchS3Secret, ""),
	})
}
