package blobstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	gax "github.com/googleapis/gax-go/v2"
	gcaws "gocloud.dev/aws"
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/s3blob"
	"google.golang.org/api/option"
)

// The AWS SDK's retries within one attempt of the Store (see openS3).
const (
	sdkMaxAttempts = 2
	sdkMaxBackoff  = 200 * time.Millisecond
)

// openS3 opens an s3:// URL. It builds the client itself (rather than
// through s3blob's URL opener) to accept credentials in the URL.
func openS3(ctx context.Context, u *url.URL, q url.Values, prefix string) (*blob.Bucket, *s3Put, error) {
	if u.Host == "" {
		return nil, nil, errors.New("s3:// needs a bucket name")
	}
	var s3opts []func(*s3.Options)
	for _, k := range []string{"use_path_style", "disable_https"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		q.Del(k)
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, nil, fmt.Errorf("parameter %s: %w", k, err)
		}
		if k == "use_path_style" {
			s3opts = append(s3opts, func(o *s3.Options) { o.UsePathStyle = on })
		} else {
			s3opts = append(s3opts, func(o *s3.Options) { o.EndpointOptions.DisableHTTPS = on })
		}
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	// The SDK tries 3 times, backing off up to 20 s between attempts, and
	// the Store retries on top: against a server that is down, one call
	// took 6 s even with the backoff cut to 1 s. A live archiver would
	// rather answer 503 at once (the encoder retries), so the SDK tries
	// twice, 200 ms apart at most: a stopped server fails a call in about a
	// second.
	if sdkRetryer := cfg.Retryer; sdkRetryer != nil {
		cfg.Retryer = func() aws.Retryer {
			return retry.AddWithMaxAttempts(retry.AddWithMaxBackoffDelay(sdkRetryer(), sdkMaxBackoff), sdkMaxAttempts)
		}
	}
	if u.User != nil {
		secret, _ := u.User.Password()
		cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(u.User.Username(), secret, ""))
	}
	client := s3.NewFromConfig(cfg, s3opts...)
	b, err := s3blob.OpenBucket(ctx, client, u.Host, &s3blob.Options{
		// As s3blob's URL opener does: the transfer manager does not
		// take this from the client.
		RequestChecksumCalculation: cfg.RequestChecksumCalculation,
	})
	return b, &s3Put{client: client, bucket: u.Host, prefix: prefix}, err
}

// openGCS opens a gs:// URL; the returned function closes the client. It
// builds the client itself (rather than through gcsblob's URL opener,
// which prints a warning to stdout when it finds no credentials) to accept
// an emulator endpoint in the URL.
func openGCS(ctx context.Context, u *url.URL, q url.Values) (*blob.Bucket, func() error, error) {
	if u.Host == "" {
		return nil, nil, errors.New("gs:// needs a bucket name")
	}
	var copts []option.ClientOption
	for k := range q {
		switch k {
		case "endpoint":
			ep := strings.TrimSuffix(q.Get(k), "/")
			if !strings.HasPrefix(ep, "http://") && !strings.HasPrefix(ep, "https://") {
				return nil, nil, fmt.Errorf("parameter endpoint %q: want http://host:port", ep)
			}
			copts = append(copts, option.WithEndpoint(ep+"/storage/v1/"), option.WithoutAuthentication())
		case "anonymous":
			anon, err := strconv.ParseBool(q.Get(k))
			if err != nil {
				return nil, nil, fmt.Errorf("parameter anonymous: %w", err)
			}
			if anon {
				copts = append(copts, option.WithoutAuthentication())
			}
		default:
			return nil, nil, fmt.Errorf("gs:// takes no parameter %q (only endpoint, anonymous, prefix)", k)
		}
	}
	// storage.NewClient honours STORAGE_EMULATOR_HOST by itself.
	client, err := storage.NewClient(ctx, copts...)
	if err != nil {
		return nil, nil, err
	}
	// The client retries idempotent calls until the context ends, which
	// would hang every operation on an unreachable server; bound it (the
	// Store retries on top).
	client.SetRetry(storage.WithMaxAttempts(3), storage.WithBackoff(gax.Backoff{
		Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2,
	}))
	b, err := gcsblob.OpenBucket(ctx, nil, u.Host, &gcsblob.Options{Client: client})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	return b, client.Close, nil
}
