package telemetry

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Bundle kinds, as the manual names the files ("Reporting options": "The Licensing server
// data elements are bundled in upload_compliance*.zip files", the usage data in
// upload_usage*.zip files).
const (
	KindCompliance = "compliance"
	KindUsage      = "usage"
)

// ManifestName is the first entry of every bundle.
const ManifestName = "manifest.json"

// BundleFile is one file to put in a bundle.
type BundleFile struct {
	Name    string
	Program Program
	Data    []byte
}

// WriteBundle writes a zip of manifest.json and files to w. m gives the bundle's kind,
// programs, GUID, time, version and upload type; the file list and hashes are filled in
// and the complete manifest returned. Entries carry m.UTCDate as their time, so the same
// data makes the same bytes.
func WriteBundle(w io.Writer, m Manifest, files []BundleFile) (Manifest, error) {
	m.Schema, m.SchemaVersion = SchemaID, SchemaVersion
	m.Files = m.Files[:0]
	all := sha256.New()
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		ui := hex.EncodeToString(sum[:])
		all.Write([]byte(ui))
		m.Files = append(m.Files, ManifestFile{Name: f.Name, Program: f.Program, Size: int64(len(f.Data)), UI: ui})
	}
	m.TotalFiles = len(files)
	m.FilesUI = hex.EncodeToString(all.Sum(nil))
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, fmt.Errorf("telemetry: encode the manifest: %w", err)
	}
	zw := zip.NewWriter(w)
	put := func(name string, data []byte) error {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: m.UTCDate}
		fw, err := zw.CreateHeader(h)
		if err == nil {
			_, err = fw.Write(data)
		}
		if err != nil {
			return fmt.Errorf("telemetry: write %s in the bundle: %w", name, err)
		}
		return nil
	}
	if err := put(ManifestName, mb); err != nil {
		return m, err
	}
	for _, f := range files {
		if err := put(f.Name, f.Data); err != nil {
			return m, err
		}
	}
	if err := zw.Close(); err != nil {
		return m, fmt.Errorf("telemetry: finish the bundle: %w", err)
	}
	return m, nil
}

// MaxEntryBytes bounds what ReadBundle inflates per entry (a bundle of a million
// user/device assignments is well below it).
const MaxEntryBytes = 512 << 20

// ReadBundle reads a bundle and checks every file against its manifest: the manifest
// first, then the files by name.
func ReadBundle(r io.ReaderAt, size int64) (Manifest, map[string][]byte, error) {
	var m Manifest
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return m, nil, fmt.Errorf("telemetry: the bundle is not a zip file: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return m, nil, fmt.Errorf("telemetry: bundle entry %s: %w", f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, MaxEntryBytes+1))
		rc.Close()
		if err != nil {
			return m, nil, fmt.Errorf("telemetry: bundle entry %s: %w", f.Name, err)
		}
		if len(b) > MaxEntryBytes {
			return m, nil, fmt.Errorf("telemetry: bundle entry %s is larger than %d bytes", f.Name, MaxEntryBytes)
		}
		files[f.Name] = b
	}
	mb, ok := files[ManifestName]
	if !ok {
		return m, nil, fmt.Errorf("telemetry: the bundle has no %s", ManifestName)
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		return m, nil, fmt.Errorf("telemetry: %s: %w", ManifestName, err)
	}
	delete(files, ManifestName)
	if len(m.Files) != len(files) || m.TotalFiles != len(files) {
		return m, nil, fmt.Errorf("telemetry: the manifest lists %d files, the bundle holds %d", len(m.Files), len(files))
	}
	for _, mf := range m.Files {
		b, ok := files[mf.Name]
		if !ok {
			return m, nil, fmt.Errorf("telemetry: %s is in the manifest but not in the bundle", mf.Name)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != mf.UI {
			return m, nil, fmt.Errorf("telemetry: %s does not match its hash in the manifest", mf.Name)
		}
	}
	return m, files, nil
}

// BundleName is the file name of a bundle written at t: upload_<kind>_<UTC time to the
// millisecond>.zip, which sorts by time.
func BundleName(kind string, t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("upload_%s_%s%03dZ.zip", kind, t.Format("20060102T150405"), t.Nanosecond()/1e6)
}

// ParseBundleName reads a name BundleName made.
func ParseBundleName(name string) (kind string, t time.Time, ok bool) {
	rest, found := strings.CutPrefix(name, "upload_")
	if !found || !strings.HasSuffix(rest, "Z.zip") {
		return "", time.Time{}, false
	}
	i := strings.IndexByte(rest, '_')
	if i < 0 {
		return "", time.Time{}, false
	}
	kind, stamp := rest[:i], strings.TrimSuffix(rest[i+1:], "Z.zip")
	if kind != KindCompliance && kind != KindUsage || len(stamp) != 18 {
		return "", time.Time{}, false
	}
	t, err := time.Parse("20060102T150405.000", stamp[:15]+"."+stamp[15:])
	if err != nil {
		return "", time.Time{}, false
	}
	return kind, t, true
}

// BundleInfo is a bundle on disk.
type BundleInfo struct {
	Name string    `json:"name"`
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`
	Size int64     `json:"size"`
}

// SortBundles orders bundles newest first.
func SortBundles(bs []BundleInfo) {
	sort.Slice(bs, func(i, j int) bool {
		if !bs[i].Time.Equal(bs[j].Time) {
			return bs[i].Time.After(bs[j].Time)
		}
		return bs[i].Name > bs[j].Name
	})
}

// Prune returns the bundles to delete so that at most keep of each kind remain and all of
// them together take at most maxBytes ("Failure to delete the .zip files might result in
// the License Server running out of disk space"). The newest bundle of each kind is always
// kept, so the last report can still be read and sent by hand.
func Prune(bs []BundleInfo, keep int, maxBytes int64) []string {
	if keep < 1 {
		keep = 1
	}
	sorted := append([]BundleInfo(nil), bs...)
	SortBundles(sorted)
	seen := map[string]int{}
	var kept []BundleInfo
	var out []string
	var total int64
	for _, b := range sorted {
		seen[b.Kind]++
		if seen[b.Kind] > keep {
			out = append(out, b.Name)
			continue
		}
		kept = append(kept, b)
		total += b.Size
	}
	// Over the byte budget: drop the oldest, never the newest of a kind.
	for i := len(kept) - 1; i >= 0 && maxBytes > 0 && total > maxBytes; i-- {
		b := kept[i]
		newest := true
		for _, k := range kept[:i] {
			if k.Kind == b.Kind {
				newest = false
				break
			}
		}
		if newest {
			continue
		}
		out = append(out, b.Name)
		total -= b.Size
	}
	return out
}

// MarshalReport encodes a report as a bundle file (indented: the operator reads it).
func MarshalReport(r *Report) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("telemetry: encode the %s report: %w", r.Program, err)
	}
	return buf.Bytes(), nil
}
