package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// dockerBuild is what the Dockerfile says about the image: the Go
// toolchain it builds with, the go build command's environment and
// flags, and the runtime image's settings. The tests build the binary
// with exactly these flags (buildBinary), so the binary they run is the
// image's.
type dockerBuild struct {
	goVersion string            // of the build stage's golang image: "1.26"
	env       []string          // before `go build`: CGO_ENABLED=0
	flags     []string          // between `go build` and `-o`
	runEnv    map[string]string // the runtime stage's ENV
	user      string            // the runtime stage's USER
}

var (
	goImage   = regexp.MustCompile(`(?m)^FROM golang:(\d+\.\d+)[.\w-]*`)
	argDef    = regexp.MustCompile(`(?m)^ARG (\w+)=(\S+)`)
	goModGoRE = regexp.MustCompile(`(?m)^go (\d+\.\d+)`)
)

// readDockerfile parses ../../Dockerfile; a shape it does not know fails
// the test, so the parse cannot silently drift from the file.
func readDockerfile(t testing.TB) dockerBuild {
	t.Helper()
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\\\n", " ") // continuation lines
	var d dockerBuild
	m := goImage.FindStringSubmatch(text)
	if m == nil {
		t.Fatal("Dockerfile: no `FROM golang:X.Y…` build stage")
	}
	d.goVersion = m[1]
	args := map[string]string{}
	for _, a := range argDef.FindAllStringSubmatch(text, -1) {
		args[a[1]] = a[2]
	}
	d.runEnv = map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		fields := shellWords(os.Expand(line, func(k string) string { return args[k] }))
		switch {
		case len(fields) > 1 && fields[0] == "RUN" && strings.Contains(line, "go build"):
			d.env, d.flags = goBuildCommand(t, fields[1:])
		case len(fields) > 1 && fields[0] == "ENV":
			for _, kv := range fields[1:] {
				k, v, _ := strings.Cut(kv, "=")
				d.runEnv[k] = v
			}
		case len(fields) == 2 && fields[0] == "USER":
			d.user = fields[1]
		}
	}
	if d.flags == nil || d.user == "" {
		t.Fatalf("Dockerfile: no `RUN … go build … -o …` step or no USER: %+v", d)
	}
	return d
}

// goBuildCommand splits `CGO_ENABLED=0 go build FLAGS -o OUT PKG` into
// its environment and flags.
func goBuildCommand(t testing.TB, words []string) (env, flags []string) {
	t.Helper()
	i := 0
	for ; i < len(words) && strings.Contains(words[i], "="); i++ {
		env = append(env, words[i])
	}
	if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
		t.Fatalf("Dockerfile: the build step is not `[VAR=…] go build …`: %q", words)
	}
	for _, w := range words[i+2:] {
		if w == "-o" {
			return env, flags
		}
		flags = append(flags, w)
	}
	t.Fatalf("Dockerfile: the go build step has no -o: %q", words)
	return nil, nil
}

// shellWords splits a line as sh would for the simple quoting a
// Dockerfile uses: double quotes group words.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, started := false, false
	for _, r := range s {
		switch {
		case r == '"':
			in, started = !in, true
		case (r == ' ' || r == '\t') && !in:
			if started {
				out = append(out, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

// The Dockerfile builds with go.mod's Go, statically, stripped, with the
// version stamped; the tests' binary is built from the same line.
func TestDockerfileInStep(t *testing.T) {
	d := readDockerfile(t)
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if m := goModGoRE.FindSubmatch(mod); m == nil || string(m[1]) != d.goVersion {
		t.Errorf("the Dockerfile builds with Go %s, go.mod says %s", d.goVersion, m)
	}
	flags := strings.Join(d.flags, " ")
	for _, want := range []string{"-trimpath", "-s -w", "-X main.version="} {
		if !strings.Contains(flags, want) {
			t.Errorf("the image's go build lacks %q: %s", want, flags)
		}
	}
	if strings.Join(d.env, " ") != "CGO_ENABLED=0" {
		t.Errorf("the image's build environment is %q, want CGO_ENABLED=0 (a static binary for distroless)", d.env)
	}
	if d.user != "65532:65532" || d.runEnv["SQLITE_PATH"] != "/data/incident-bot.db" {
		t.Errorf("runtime: USER %s, SQLITE_PATH %q", d.user, d.runEnv["SQLITE_PATH"])
	}
}
