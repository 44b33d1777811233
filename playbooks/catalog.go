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
// playbook with a built-in's ID replaces it. All problems in all files
// are reported together.
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
	if len(problems) > 0 {
		return nil, problems
	}
	return assemble(builtin, team)
}

// parseFS parses every playbook file in dir of fsys, reporting duplicate
// IDs within it. shown prefixes file names in messages.
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
		if len(ps) > 0 {
			problems = append(problems, ps...)
			continue
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
func assemble(builtin, team []Playbook) (*Catalog, error) {
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
	var problems Problems
	for _, pb := range c.byID {
		c.list = append(c.list, pb)
	}
	sort.Slice(c.list, func(i, j int) bool { return c.list[i].ID < c.list[j].ID })
	for _, pb := range c.list {
		for _, r := range pb.Related {
			if _, ok := c.byID[r]; !ok {
				problems = append(problems, Problem{File: pb.File, Line: pb.relatedLine, Msg: fmt.Sprintf("related playbook %q does not exist", r)})
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
	sort.SliceStable(out, func(i, j int) bool { return out[i].ReviewBy.Before(out[j].ReviewBy.Time) })
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
