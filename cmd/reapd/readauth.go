package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/reapd/reapd/catchup"
)

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// readAuthFlags are the read side's access-control flags of "reapd serve".
type readAuthFlags struct {
	tokens, keys stringList
}

func (f *readAuthFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.tokens, "read-token", "a bearer token that may read catch-up, segments and the browse API (repeatable; with it or\n--url-signing-key set, reads need a token or a signed URL; default: open). Prefer readTokens in --config: flags show in ps")
	fs.Var(&f.keys, "url-signing-key", "secret (at least 16 characters) for expiring signed URLs (HMAC-SHA256 over path and expiry;\nrepeatable: the first signs, all verify, for key rotation); mint URLs with \"reapd sign\" or POST /api/sign")
}

// minKeyLen is the shortest accepted URL signing key.
const minKeyLen = 16

// readAuth returns the read tokens and URL signer from flags and the
// configuration file (flags first; nil signer when no key is set).
func readAuth(f *readAuthFlags, fc *fileConfig) ([]string, *catchup.URLSigner, error) {
	tokens := append(append([]string{}, f.tokens...), fc.ReadTokens...)
	for _, t := range tokens {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, " \t\r\n") {
			return nil, nil, errors.New("read token: empty or containing white space")
		}
	}
	signer, err := urlSigner(append(append([]string{}, f.keys...), fc.URLSigningKeys...))
	if err != nil {
		return nil, nil, err
	}
	return tokens, signer, nil
}

// urlSigner returns a signer for keys (nil for none).
func urlSigner(keys []string) (*catchup.URLSigner, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var bs [][]byte
	for i, k := range keys {
		if len(k) < minKeyLen {
			return nil, fmt.Errorf("URL signing key %d: shorter than %d characters", i+1, minKeyLen)
		}
		bs = append(bs, []byte(k))
	}
	return catchup.NewURLSigner(bs...)
}
