// Package migrations embeds Curfew's SQL schema migrations, applied in order by
// the store at start-up and by `curfew migrate`.
package migrations

import "embed"

// FS holds the numbered goose migrations.
//
//go:embed *.sql
var FS embed.FS
