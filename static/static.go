// Package static embeds the built CSS, vendored htmx and Curfew's own script,
// and names each file with a content hash so browsers may cache it for long.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

//go:embed css js
var FS embed.FS

// versions hashes every file once; the files never change while the binary runs.
var versions = sync.OnceValue(func() map[string]string {
	v := map[string]string{}
	fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return v
})

// Path is the URL of an embedded file with its content hash, e.g.
// Path("css/app.css") = "/static/css/app.css?v=1a2b3c4d5e6f".
func Path(name string) string {
	return "/static/" + name + "?v=" + versions()[name]
}
