package storeutil

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema version, read from a file named NNNN_what.sql.
type Migration struct {
	Version int    // the NNNN prefix
	Name    string // the file's base name, which schema_migrations records
	SQL     string
}

// LoadMigrations reads the files of fsys matching glob and checks that
// their versions run 1, 2, 3… without gaps or repeats, so a misnamed file
// fails loudly instead of being skipped. The result is in version order.
func LoadMigrations(fsys fs.FS, glob string) ([]Migration, error) {
	names, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	ms := make([]Migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		prefix, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			// strconv's error would only repeat the prefix.
			return nil, fmt.Errorf("migration %s: name must start with a version number", base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(body)})
	}
	// Stable, so that of two files with the same version the error names
	// the same one every time.
	slices.SortStableFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	return ms, nil
}
