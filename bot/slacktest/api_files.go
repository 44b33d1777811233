package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The file upload flow slack-go's UploadFileContext uses (files.upload is retired):
// files.getUploadURLExternal (filename, length) answers an upload_url the fake serves and a
// file ID; the client POSTs the bytes there (raw or multipart); files.completeUploadExternal
// (files=[{id,title}], channel_id or channels, initial_comment or blocks, thread_ts) finishes it
// and shares the files in a message.
func fileMethods() map[string]method {
	return map[string]method{
		"files.getUploadURLExternal":   {handle: filesGetUploadURLExternal},
		"files.completeUploadExternal": {handle: filesCompleteUploadExternal},
		"files.info":                   {handle: filesInfo},
		"files.delete":                 {handle: filesDelete},
	}
}

// filesInfo answers {"file": …} for a completed file, else file_not_found.
func filesInfo(s *Server, req *request) (map[string]any, *apiError) {
	f, ok := s.store.files[req.args.Get("file")]
	if !ok || !f.complete || f.deleted {
		return nil, fail("file_not_found")
	}
	return map[string]any{"file": s.wireFile(f), "comments": []any{}, "response_metadata": map[string]any{"next_cursor": ""}}, nil
}

// filesDelete deletes a file; a bot may delete only its own uploads
// (cant_delete_file otherwise), and the file leaves history and Files().
func filesDelete(s *Server, req *request) (map[string]any, *apiError) {
	f, ok := s.store.files[req.args.Get("file")]
	switch {
	case !ok || !f.complete || f.deleted:
		return nil, fail("file_not_found")
	case f.user != s.opts.BotUserID:
		return nil, fail("cant_delete_file")
	}
	f.deleted = true
	return map[string]any{}, nil
}

const (
	maxAltTxt     = 1000    // alt_txt_too_large
	maxSnippet    = 1 << 20 // snippet_too_large: snippets are limited to 1MB
	maxUploadSize = 64 << 20
	maxShares     = 100 // channels_limit_exceeded
)

// file is an uploaded (or test-added) file.
type file struct {
	id, name, title, user string
	altTxt, snippetType   string
	length                int // the length files.getUploadURLExternal was told
	content               []byte
	uploaded, complete    bool
	deleted               bool
	created               time.Time
	channels              []string // where it was shared
	secret                string   // of the upload URL and the private URLs
}

func (st *store) addFile(name, user string, length int, now time.Time) *file {
	f := &file{id: st.newID("F"), name: name, title: name, user: user, length: length, created: now, secret: randomHex(10)}
	st.files[f.id] = f
	st.fileIDs = append(st.fileIDs, f.id)
	return f
}

func filesGetUploadURLExternal(s *Server, req *request) (map[string]any, *apiError) {
	name, rawLen := req.args.Get("filename"), req.args.Get("length")
	switch {
	case name == "":
		return nil, invalidArguments("[ERROR] missing required field: filename")
	case rawLen == "":
		return nil, invalidArguments("[ERROR] missing required field: length")
	}
	length, convErr := strconv.Atoi(rawLen)
	switch {
	case convErr != nil || length < 0:
		return nil, invalidArguments("[ERROR] must be a non-negative integer [json-pointer:/length]")
	case length == 0:
		return nil, fail("missing_argument") // "Typically only occurs when the length provided is 0."
	case utf8.RuneCountInString(req.args.Get("alt_txt")) > maxAltTxt:
		return nil, fail("alt_txt_too_large")
	case req.args.Get("snippet_type") != "" && length > maxSnippet:
		return nil, fail("snippet_too_large")
	case length > maxUploadSize:
		return nil, fail("file_upload_size_restricted")
	}
	f := s.store.addFile(name, s.opts.BotUserID, length, s.now())
	f.altTxt, f.snippetType = req.args.Get("alt_txt"), req.args.Get("snippet_type")
	s.store.uploads[f.secret] = f.id
	return map[string]any{"upload_url": s.base + "/upload/v1/" + f.secret, "file_id": f.id}, nil
}

// serveUpload takes the bytes of a file at its upload_url, raw or as the file part of a
// multipart form, and answers 200 "OK - <length>". Bytes that do not add up to the length
// files.getUploadURLExternal was told are refused (400) and the file stays unuploaded.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	secret := strings.TrimPrefix(r.URL.Path, "/upload/v1/")
	s.mu.Lock()
	f := s.store.files[s.store.uploads[secret]]
	length := 0
	if f != nil {
		length = f.length
	}
	s.mu.Unlock()
	if f == nil {
		http.Error(w, "upload URL not found or already used", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST the file", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(length)+1<<20))
	if err != nil {
		http.Error(w, "could not read the upload", http.StatusBadRequest)
		return
	}
	content, err := uploadedBytes(r.Header.Get("Content-Type"), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(content) != length {
		http.Error(w, fmt.Sprintf("got %d bytes, files.getUploadURLExternal was told length=%d", len(content), length), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	stillOpen := s.store.uploads[secret] == f.id
	if stillOpen {
		f.content, f.uploaded = content, true
	}
	s.mu.Unlock()
	if !stillOpen {
		http.Error(w, "upload URL not found or already used", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintf(w, "OK - %d", len(content))
}

// uploadedBytes takes the file out of a multipart body (the first part with a file name, as
// curl -F and slack-go send it) or returns a raw body as is.
func uploadedBytes(contentType string, body []byte) ([]byte, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" {
		return body, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, fmt.Errorf("multipart upload without a file part")
		}
		if err != nil {
			return nil, fmt.Errorf("bad multipart body: %v", err)
		}
		if part.FileName() != "" {
			return io.ReadAll(part)
		}
	}
}

// fileSummary is one entry of completeUploadExternal's files argument.
type fileSummary struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// filesCompleteUploadExternal is long because it checks each of Slack's
// refusals for this call in the order Slack answers them, then shares the
// file; each check is a few lines and reads against Slack's method page.
func filesCompleteUploadExternal(s *Server, req *request) (map[string]any, *apiError) {
	raw := req.args.Get("files")
	if raw == "" {
		return nil, invalidArguments("[ERROR] missing required field: files")
	}
	var list []fileSummary
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, invalidArguments("[ERROR] must be an array of objects with an id [json-pointer:/files]")
	}
	if len(list) == 0 {
		return nil, invalidArguments("[ERROR] must provide at least 1 items [json-pointer:/files]")
	}
	files := make([]*file, 0, len(list))
	for _, fs := range list {
		f := s.store.files[fs.ID]
		if f == nil || !f.uploaded || f.complete {
			return nil, fail("file_not_found")
		}
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	titles := map[string]string{}
	for _, fs := range list {
		if fs.Title != "" {
			titles[fs.ID] = fs.Title
		}
	}
	targets, err := s.shareTargets(req)
	if err != nil {
		return nil, err
	}
	var blocks json.RawMessage
	comment := req.args.Get("initial_comment")
	if b := req.args.Get("blocks"); b != "" && comment == "" { // blocks are ignored with initial_comment
		if blocks, err = checkMessageBlocks(b); err != nil {
			return nil, err
		}
	}
	threadTS := req.args.Get("thread_ts")

	ids := make([]string, 0, len(files))
	for _, f := range files {
		if title, ok := titles[f.id]; ok {
			f.title = title
		}
		f.complete = true
		delete(s.store.uploads, f.secret)
		for _, c := range targets {
			f.channels = append(f.channels, c.id)
		}
		ids = append(ids, f.id)
	}
	for _, c := range targets {
		c.messages = append(c.messages, &message{Message: Message{
			TS: s.store.nextTS(s.now()), Channel: c.id, User: s.opts.BotUserID,
			Text: comment, Blocks: blocks, ThreadTS: threadTS, Files: ids,
		}})
	}
	out := make([]any, 0, len(files))
	for _, f := range files {
		out = append(out, s.wireFile(f))
	}
	return map[string]any{"files": out}, nil
}

// shareTargets resolves channel_id and channels (IDs, or user IDs meaning the bot's DM). Sharing
// a file needs membership, unlike chat.postMessage: not_in_channel for a public channel the bot
// is not in, channel_not_found for one it cannot see.
func (s *Server) shareTargets(req *request) ([]*channel, *apiError) {
	var ids []string
	if id := req.args.Get("channel_id"); id != "" {
		ids = append(ids, id)
	}
	for id := range strings.SplitSeq(req.args.Get("channels"), ",") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > maxShares {
		return nil, fail("channels_limit_exceeded")
	}
	out := make([]*channel, 0, len(ids))
	for _, id := range ids {
		var c *channel
		if strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") {
			if _, known := s.store.lookupUser(id); !known {
				return nil, fail("channel_not_found")
			}
			c = s.store.dm(s.opts.BotUserID, id, s.now())
		} else {
			var err *apiError
			if c, err = s.visibleChannel(id); err != nil {
				return nil, err
			}
		}
		if !c.isMember(s.opts.BotUserID) {
			return nil, fail("not_in_channel")
		}
		out = append(out, c)
	}
	return out, nil
}

// wireFile renders a file object with the fields Slack's file objects carry.
func (s *Server) wireFile(f *file) map[string]any {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(f.name)), ".")
	filetype, pretty := fileType(ext)
	mimetype := mime.TypeByExtension("." + ext)
	if mimetype == "" {
		mimetype = "application/octet-stream"
	}
	if i := strings.Index(mimetype, ";"); i >= 0 {
		mimetype = mimetype[:i]
	}
	var public, private, ims []string
	for _, id := range f.channels {
		switch c := s.store.channels[id]; {
		case c == nil:
		case c.im:
			ims = append(ims, id)
		case c.private:
			private = append(private, id)
		default:
			public = append(public, id)
		}
	}
	priv := s.base + "/files-pri/" + s.opts.TeamID + "-" + f.id + "/"
	out := map[string]any{
		"id": f.id, "created": f.created.Unix(), "timestamp": f.created.Unix(),
		"name": f.name, "title": f.title, "mimetype": mimetype, "filetype": filetype,
		"pretty_type": pretty, "user": f.user, "user_team": s.opts.TeamID,
		"editable": false, "size": len(f.content), "mode": "hosted", "is_external": false,
		"external_type": "", "is_public": len(public) > 0, "public_url_shared": false,
		"display_as_bot": false, "username": "",
		"url_private":          priv + f.name,
		"url_private_download": priv + "download/" + f.name,
		"permalink":            s.base + "/files/" + f.user + "/" + f.id + "/" + f.name,
		"permalink_public":     s.base + "/files-pub/" + s.opts.TeamID + "-" + f.id + "-" + f.secret,
		"channels":             nonNil(public), "groups": nonNil(private), "ims": nonNil(ims),
		"comments_count": 0,
	}
	if f.altTxt != "" {
		out["alt_txt"] = f.altTxt
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fileType is Slack's filetype and pretty_type for common extensions.
func fileType(ext string) (string, string) {
	switch ext {
	case "txt", "log", "":
		return "text", "Plain Text"
	case "md", "markdown":
		return "markdown", "Markdown (raw)"
	case "json":
		return "json", "JSON"
	case "csv":
		return "csv", "CSV"
	case "yaml", "yml":
		return "yaml", "YAML"
	case "jpeg":
		return "jpg", "JPEG"
	default:
		return ext, strings.ToUpper(ext)
	}
}

// serveFile answers GET on a file's url_private or url_private_download with its content,
// for the bot token only (Slack's files need the token).
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/files-pri/")
	idPart, _, _ := strings.Cut(rest, "/")
	_, id, _ := strings.Cut(idPart, "-")
	s.mu.Lock()
	f := s.store.files[id]
	found := f != nil && f.complete
	var content []byte
	var mimetype string
	if found {
		content = bytes.Clone(f.content)
		mimetype = s.wireFile(f)["mimetype"].(string)
	}
	s.mu.Unlock()
	switch {
	case r.Header.Get("Authorization") != "Bearer "+s.opts.BotToken:
		http.Error(w, "the bot token is required", http.StatusForbidden)
	case !found:
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", mimetype)
		_, _ = w.Write(content)
	}
}
