package probe
import (
	_ "gocloud.dev/blob/s3blob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"
	_ "github.com/johannesboyne/gofakes3"
	_ "github.com/johannesboyne/gofakes3/backend/s3mem"
	_ "github.com/fsouza/fake-gcs-server/fakestorage"
)
