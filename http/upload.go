package http

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	nethttp "net/http"
	"path"
	"strings"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
)

// Upload is a decoded license file upload: multipart/form-data with a "file" part (its file
// name is the installed name unless a "name" part gives another) and an optional "replace"
// part ("true" replaces an installed file of the same name).
type Upload struct {
	Name    string
	Content []byte
	Replace bool
}

type uploadError struct {
	status int
	code   string
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

func badUpload(format string, args ...any) error {
	return &uploadError{nethttp.StatusBadRequest, CodeBadRequest, fmt.Sprintf(format, args...)}
}

const maxUploadParts = 8

// decodeUpload reads a license file upload. It checks the form only; the daemon checks the
// name and the file's lines.
func decodeUpload(contentType string, body io.Reader) (*Upload, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, &uploadError{nethttp.StatusUnsupportedMediaType, CodeUnsupportedMedia,
			"send the license file as multipart/form-data with a \"file\" part (curl -F file=@FILE.lic)"}
	}
	mr := multipart.NewReader(body, params["boundary"])
	up := &Upload{}
	var haveFile, haveName bool
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, formError(err)
		}
		if n >= maxUploadParts {
			return nil, badUpload("the form has more than %d parts: send \"file\", and optionally \"name\" and \"replace\"", maxUploadParts)
		}
		switch part.FormName() {
		case "file":
			if haveFile {
				return nil, badUpload("the form has two \"file\" parts: upload one license file at a time")
			}
			haveFile = true
			b, err := io.ReadAll(io.LimitReader(part, license.MaxFileBytes+1))
			if err != nil {
				return nil, formError(err)
			}
			if len(b) > license.MaxFileBytes {
				return nil, &uploadError{nethttp.StatusRequestEntityTooLarge, CodeBodyTooLarge,
					fmt.Sprintf("the license file is larger than %d bytes, the most a license file may have", license.MaxFileBytes)}
			}
			up.Content = b
			if !haveName {
				up.Name = path.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
			}
		case "name", "replace":
			v, err := io.ReadAll(io.LimitReader(part, 257))
			if err != nil {
				return nil, formError(err)
			}
			if len(v) > 256 {
				return nil, badUpload("the %q part is longer than 256 bytes", part.FormName())
			}
			if part.FormName() == "name" {
				up.Name, haveName = strings.TrimSpace(string(v)), true
				continue
			}
			switch strings.ToLower(strings.TrimSpace(string(v))) {
			case "true", "1", "yes":
				up.Replace = true
			case "false", "0", "no", "":
				up.Replace = false
			default:
				return nil, badUpload("replace=%q: use true or false", v)
			}
		default:
			return nil, badUpload("unknown form part %q: send \"file\", and optionally \"name\" and \"replace\"", part.FormName())
		}
	}
	if !haveFile {
		return nil, badUpload("the form has no \"file\" part: send the license file as -F file=@FILE.lic")
	}
	if up.Name == "" || up.Name == "." || up.Name == "/" {
		return nil, badUpload("the license file has no name: give the file part a file name, or a \"name\" part")
	}
	return up, nil
}

func formError(err error) error {
	var mbe *nethttp.MaxBytesError
	if errors.As(err, &mbe) {
		return &uploadError{nethttp.StatusRequestEntityTooLarge, CodeBodyTooLarge,
			fmt.Sprintf("the upload is larger than the %d bytes it may have", mbe.Limit)}
	}
	return badUpload("the form could not be read: %v", err)
}

func uploadProblem(w nethttp.ResponseWriter, r *nethttp.Request, err error) {
	drainBody(r)
	var ue *uploadError
	if errors.As(err, &ue) {
		writeProblem(w, ue.status, ue.code, ue.msg, nil)
		return
	}
	writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, err.Error(), nil)
}

// decodeSettings reads a settings change: JSON of at most maxJSONBody bytes whose every
// name is a setting and every value valid (daemon.ParseSettingsUpdate), or nothing.
func decodeSettings(w nethttp.ResponseWriter, r *nethttp.Request) (daemon.SettingsUpdate, bool) {
	body, ok := readBody(w, r, "application/json", maxJSONBody)
	if !ok {
		return nil, false
	}
	up, err := daemon.ParseSettingsUpdate(body)
	if err != nil {
		writeProblem(w, nethttp.StatusBadRequest, CodeInvalidJSON, err.Error(), nil)
		return nil, false
	}
	return up, true
}
