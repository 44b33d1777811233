package slacktest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// request is a Web API call decoded the way Slack decodes it: form, multipart or JSON body, plus
// query parameters, with the token taken from where Slack accepts it.
type request struct {
	args           url.Values
	body           []byte
	contentType    string
	token          string
	missingCharset bool // JSON sent without "; charset=utf-8": Slack answers with a warning
}

const maxBody = 10 << 20

// readRequest decodes r; a non-nil error is the Slack error the call must get.
func readRequest(r *http.Request) (*request, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return &request{}, fail("request_timeout")
	}
	req := &request{args: cloneValues(r.URL.Query()), body: body, contentType: r.Header.Get("Content-Type")}
	bearer, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")

	isJSON, aerr := req.decodeBody()
	if aerr != nil {
		return req, aerr
	}
	switch {
	case hasBearer:
		req.token = strings.TrimSpace(bearer)
	case !isJSON:
		// Slack takes a token field only from forms and the query string; a JSON body must
		// carry the token in the Authorization header.
		req.token = req.args.Get("token")
	}
	return req, nil
}

// decodeBody merges the body's fields into args and reports whether it was JSON.
func (req *request) decodeBody() (bool, *apiError) {
	mediaType, params, err := mime.ParseMediaType(req.contentType)
	if req.contentType == "" {
		if len(req.body) > 0 {
			return false, fail("missing_post_type")
		}
		return false, nil
	}
	if err != nil {
		return false, fail("invalid_post_type")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "iso-8859-1") {
		return false, fail("invalid_charset")
	}
	switch mediaType {
	case "application/json":
		_, hasCharset := params["charset"]
		req.missingCharset = !hasCharset
		return true, req.decodeJSON()
	case "application/x-www-form-urlencoded", "text/plain":
		form, err := url.ParseQuery(string(req.body))
		if err != nil {
			return false, fail("invalid_form_data")
		}
		mergeValues(req.args, form)
		return false, nil
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(req.body), params["boundary"]).ReadForm(maxBody)
		if err != nil {
			return false, fail("invalid_form_data")
		}
		mergeValues(req.args, form.Value)
		_ = form.RemoveAll()
		return false, nil
	default:
		return false, fail("invalid_post_type")
	}
}

// decodeJSON flattens a JSON object body: strings become their value, other values (objects,
// arrays, numbers, booleans) their compact JSON text, and nulls are dropped.
func (req *request) decodeJSON() *apiError {
	if len(bytes.TrimSpace(req.body)) == 0 {
		return nil // slack-go opens Socket Mode connections with an empty JSON body
	}
	if !json.Valid(req.body) {
		return fail("invalid_json")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(req.body, &fields); err != nil {
		return fail("json_not_object")
	}
	for k, raw := range fields {
		var str string
		switch {
		case string(raw) == "null":
		case json.Unmarshal(raw, &str) == nil:
			req.args.Set(k, str)
		default:
			var buf bytes.Buffer
			_ = json.Compact(&buf, raw)
			req.args.Set(k, buf.String())
		}
	}
	return nil
}

func mergeValues(dst, src url.Values) {
	for k, vs := range src {
		dst[k] = append(dst[k], vs...)
	}
}

// boolArg reads a Slack boolean argument, which clients send as true/false or 1/0.
func boolArg(args url.Values, name string) bool {
	switch strings.ToLower(args.Get(name)) {
	case "true", "1", "yes":
		return true
	}
	return false
}
