package blobstore

import (
	"bytes"
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3Put writes an object held in memory with one PutObject of the bytes
// themselves. gocloud's S3 writer hands every object to the SDK's transfer
// manager, which first copies it into a buffer grown from 512 bytes (at
// ingest, twelve times the bytes in allocations, and a second copy of
// every in-flight segment that the ingest budget does not see) before it
// makes the same PutObject. Streams (CreateFrom) still go through gocloud:
// they need its multipart upload.
type s3Put struct {
	client *s3.Client
	bucket string
	prefix string // the store's root prefix; keys are checked, so need no escaping
}

// put writes data under key; ifNotExist makes it a conditional create
// (If-None-Match: *), which fails with S3's PreconditionFailed when the
// object exists (kindOfCode: ErrExists).
func (p *s3Put) put(ctx context.Context, key string, data []byte, ifNotExist bool) error {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(p.bucket),
		Key:           aws.String(p.prefix + key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String(contentType(key)),
	}
	if ifNotExist {
		in.IfNoneMatch = aws.String("*")
	}
	_, err := p.client.PutObject(ctx, in)
	return err
}
