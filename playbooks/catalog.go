package playbooks

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Catalog is the set of playbooks the bot offers: the built-in ones,
// overridden or extended by a team's directory. It is immutable.
type Catalog struct {
	list  []*Playbook // sorted by ID
	byID  map[string]*Playbook
	index *Index
	// Overrides lists the IDs of built-in playbooks replaced by the
	// team's own.
	Overrides []string
}

// Load builds the catalog from the built-in playbooks and, when dir is
// not empty, every *.yaml / *.yml file in it (not recursive). A team
// playbook with a built-in's ID replaces it. All problems in all files,
// and those across files (duplicate IDs, unknown related IDs), are
// reported together, by file and line.
func Load(dir string) (*Catalog, error) {
	builtin, problems := parseFS(builtinFS, "builtin", "builtin")
	var team []Playbook
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("PLAYBOOKS_DIR %s: %w", dir, err)
		}
		var ps Problems
		team, ps = parseFS(os.DirFS(dir), ".", dir)
		problems = append(problems, ps...)
	}
	c, ps := assemble(builtin, team)
	problems = append(problems, ps...)
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool {
			a, b := problems[i], problems[j]
			return a.File < b.File || a.File == b.File && a.Line < b.Line
		})
		return nil, problems
	}
	return c, nil
}

// parseFS parses every playbook file in dir of fsys, reporting duplicate
// IDs within it. shown prefixes file names in messages. Playbooks with
// problems are returned too (all but a duplicate), so that other files'
// related IDs naming them are not also reported unknown.
func parseFS(fsys fs.FS, dir, shown string) ([]Playbook, Problems) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, Problems{{File: shown, Msg: err.Error()}}
	}
	var pbs []Playbook
	var problems Problems
	first := map[string]Problem{} // id → where it was first defined
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		name := filepath.Join(shown, e.Name())
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			problems = append(problems, Problem{File: name, Msg: err.Error()})
			continue
		}
		pb, ps := Parse(name, data)
		problems = append(problems, ps...)
		if pb.ID == "" {
			continue // reported; nothing can refer to it
		}
		if prev, dup := first[pb.ID]; dup {
			problems = append(problems, Problem{File: name, Line: pb.idLine, Msg: fmt.Sprintf("duplicate id %q (also in %s:%d)", pb.ID, prev.File, prev.Line)})
			continue
		}
		first[pb.ID] = Problem{File: name, Line: pb.idLine}
		pbs = append(pbs, pb)
	}
	return pbs, problems
}

// assemble merges team playbooks over built-ins, checks that related IDs
// exist, and builds the index.
func assemble(builtin, team []Playbook) (*Catalog, Problems) {
	c := &Catalog{byID: map[string]*Playbook{}}
	for i := range builtin {
		c.byID[builtin[i].ID] = &builtin[i]
	}
	for i := range team {
		if _, ok := c.byID[team[i].ID]; ok {
			c.Overrides = append(c.Overrides, team[i].ID)
		}
		c.byID[team[i].ID] = &team[i]
	}
	ids := make([]string, 0, len(c.byID))
	for id, pb := range c.byID {
		c.list = append(c.list, pb)
		ids = append(ids, id)
	}
	sort.Slice(c.list, func(i, j int) bool { return c.list[i].ID < c.list[j].ID })
	var problems Problems
	for _, pb := range c.list {
		for i, r := range pb.Related {
			if _, ok := c.byID[r]; !ok && r != "" {
				problems = append(problems, Problem{File: pb.File, Line: pb.relatedLines[i],
					Msg: fmt.Sprintf("related playbook %q does not exist%s", r, didYouMean(r, ids, ""))})
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	sort.Strings(c.Overrides)
	c.index = NewIndex(c.list)
	return c, nil
}

// List returns every playbook, sorted by ID.
func (c *Catalog) List() []*Playbook { return c.list }

// Get returns the playbook with the given ID.
func (c *Catalog) Get(id string) (*Playbook, bool) {
	pb, ok := c.byID[id]
	return pb, ok
}

// Match ranks the catalog's playbooks for q (at most k results).
func (c *Catalog) Match(q Query, k int) Ranking { return c.index.Match(q, k) }

// Overdue lists the playbooks whose review date has passed, oldest first.
func (c *Catalog) Overdue(now time.Time) []*Playbook {
	var out []*Playbook
	for _, pb := range c.list {
		if pb.Overdue(now) {
			out = append(out, pb)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ReviewDue().Before(out[j].ReviewDue()) })
	return out
}

// Causes is a playbook's title and likely causes, for the postmortem's
// five whys.
func (c *Catalog) Causes(id string) (title string, causes []string, ok bool) {
	pb, ok := c.Get(id)
	if !ok {
		return "", nil, false
	}
	return pb.Title, pb.Causes, true
}
