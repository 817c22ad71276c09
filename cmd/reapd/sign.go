package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/reapd/reapd/catchup"
)

// signCmd is "reapd sign": it mints an expiring signed URL for the read
// side, with the key the server is given (--url-signing-key or the
// configuration file's urlSigningKeys, whose first key signs).
func signCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reapd sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys stringList
	fs.Var(&keys, "url-signing-key", "the signing key (as given to reapd serve); default: the config file's first")
	config := fs.String("config", "", "YAML configuration file with urlSigningKeys")
	ttl := fs.Duration("ttl", time.Hour, "how long the URL stays valid")
	expires := fs.String("expires", "", "expiry instead of --ttl: RFC 3339 or epoch seconds")
	prefix := fs.String("prefix", "", "sign every path under this prefix (e.g. /catchup/ch1/) instead of the URL's path alone")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reapd sign [flags] URL\n\nPrints URL (a path like /catchup/ch1/manifest.mpd?start=…&end=…, or a full URL)\nwith exp= and sig= parameters that let it in until its expiry. The manifest it\nnames carries the signature on to its media playlists, headers and segments.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("sign: want one URL")
	}
	fc, err := loadConfig(*config)
	if err != nil {
		return err
	}
	all := append(append([]string{}, keys...), fc.URLSigningKeys...)
	signer, err := urlSigner(all)
	if err != nil {
		return err
	}
	if signer == nil {
		return errors.New("sign: no key: give --url-signing-key or --config with urlSigningKeys")
	}
	exp := time.Now().Add(*ttl)
	if *expires != "" {
		if exp, err = catchup.ParseInstant(*expires); err != nil {
			return fmt.Errorf("--expires: %w", err)
		}
	}
	if !exp.After(time.Now()) {
		return fmt.Errorf("sign: expiry %s is not in the future", exp.UTC().Format(time.RFC3339))
	}
	u, err := signer.SignURL(fs.Arg(0), *prefix, exp)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	fmt.Fprintln(stdout, u)
	return nil
}
