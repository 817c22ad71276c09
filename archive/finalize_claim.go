package archive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// Several archivers may share one bucket. Finalizing a period twice is
// harmless — every object it writes is write-once and a deterministic
// function of the staged segments, and staged segments are deleted only
// after their index exists — but it doubles the reads. So an archiver
// first claims the period with a write-once claim object; the others leave
// the period alone while the claim is fresh, and take over when it is older
// than the claim lease (its holder died). No consensus protocol: the
// conditional create of the store decides, and a stale decision only costs
// duplicate work.

// errClaimed reports a period another archiver is finalizing now.
var errClaimed = errors.New("archive: period claimed by another archiver")

type claim struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

func claimKey(channel string, k int64) string {
	return fmt.Sprintf("%s/state/finalizing/%d.json", channel, k)
}

// instanceID names this archiver in claims: host, pid and a random part.
func instanceID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// claimPeriod takes the claim on period k, or returns errClaimed while
// another archiver's claim is fresh. A stale claim is replaced.
func (c *channel) claimPeriod(ctx context.Context, k int64) error {
	st := c.a.store
	key := claimKey(c.name, k)
	raw, _ := json.Marshal(claim{By: c.a.id, At: c.a.opts.Now().UTC()})
	err := st.Create(ctx, key, raw)
	if !errors.Is(err, blobstore.ErrExists) {
		return err
	}
	old, err := st.Get(ctx, key)
	if errors.Is(err, blobstore.ErrNotFound) {
		return st.Create(ctx, key, raw) // released meanwhile
	}
	if err != nil {
		return err
	}
	var cl claim
	if json.Unmarshal(old, &cl) == nil && cl.By != c.a.id && c.a.opts.Now().Sub(cl.At) < c.a.opts.ClaimLease {
		return errClaimed
	}
	c.log.Warn("taking over a stale finalize claim", "period", k, "holder", cl.By, "since", cl.At)
	return st.Put(ctx, key, raw)
}

// releasePeriod deletes this archiver's claim on period k.
func (c *channel) releasePeriod(ctx context.Context, k int64) {
	if err := c.a.store.Delete(ctx, claimKey(c.name, k)); err != nil {
		c.log.Warn("release finalize claim", "period", k, "err", err)
	}
}
