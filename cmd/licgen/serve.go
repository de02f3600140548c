package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/licd/licd/license"
)

// `licgen serve`: the vendor's fulfilment service, the other end of licd's "Install
// licenses" by license access code ("Use license access code") and of its weekly
// "Check for and install Customer Success Services renewal licenses". The API is in
// FULFILMENT.md beside this file.

// Bounds of one request: bodies, headers and how long a client may take.
const (
	maxRequestBody    = 64 << 10
	maxInstalledLines = 1000
)

// fulfilment is the service: the store, the vendor key that signs what it issues, the clock.
type fulfilment struct {
	store *storeFile
	priv  ed25519.PrivateKey
	now   func() time.Time
	log   *zap.Logger
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve")
	var (
		keyPath   = fs.String("key", "", "vendor.key that signs the license files")
		storePath = fs.String("store", "", "entitlement store file (made by `licgen entitle`)")
		addr      = fs.String("addr", "127.0.0.1:8444", "address to listen on (port 0: any free port)")
		certFile  = fs.String("tls-cert", "", "TLS certificate (PEM); without it a self-signed one is made")
		keyFile   = fs.String("tls-key", "", "TLS private key (PEM) of -tls-cert")
		certOut   = fs.String("tls-cert-out", "", "with a self-signed certificate: write it here (PEM), for licd's -fulfilment-ca")
		tlsHosts  = fs.String("tls-hosts", "localhost,127.0.0.1,::1", "with a self-signed certificate: the names and addresses it is for")
		readyFile = fs.String("ready-file", "", "write {\"url\": ...} here once serving (for scripts and tests)")
	)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usagef("unexpected argument %q", rest[0])
	case *keyPath == "":
		return usagef("-key is required: the vendor.key that signs what the service issues")
	case *storePath == "":
		return usagef("-store is required: the entitlement store (`licgen entitle -store FILE ...` makes it)")
	case (*certFile == "") != (*keyFile == ""):
		return usagef("give -tls-cert and -tls-key together")
	}
	priv, err := license.ReadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	var cert tls.Certificate
	if *certFile != "" {
		if cert, err = tls.LoadX509KeyPair(*certFile, *keyFile); err != nil {
			return fmt.Errorf("load the TLS certificate: %w", err)
		}
	} else {
		var pemCert []byte
		if cert, pemCert, err = selfSigned(strings.Split(*tlsHosts, ","), clock()); err != nil {
			return err
		}
		if *certOut != "" {
			if err := os.WriteFile(*certOut, pemCert, 0o644); err != nil {
				return fmt.Errorf("write the certificate: %w", err)
			}
		}
	}
	logger := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(stderr), zap.InfoLevel))
	defer func() { _ = logger.Sync() }()
	f := &fulfilment{store: &storeFile{path: *storePath}, priv: priv, now: clock, log: logger}
	if err := f.store.read(func(*fulfilStore) error { return nil }); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", *addr, err)
	}
	srv := &http.Server{
		Handler:           f.handler(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          zap.NewStdLog(logger),
	}
	url := "https://" + ln.Addr().String()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	if *readyFile != "" {
		b, _ := json.Marshal(map[string]string{"url": url})
		if err := os.WriteFile(*readyFile, b, 0o644); err != nil {
			_ = srv.Close()
			return fmt.Errorf("write the ready file: %w", err)
		}
	}
	fmt.Fprintf(stdout, "licgen fulfilment service on %s (store %s)\n", url, *storePath)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case s := <-sig:
		logger.Info("signal received; shutting down", zap.String("signal", s.String()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// selfSigned makes an ECDSA P-256 certificate for hosts, valid a year.
func selfSigned(hosts []string, now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "licgen fulfilment"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("make a self-signed certificate: %w", err)
	}
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemCert, nil
}

func (f *fulfilment) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /v1/entitlements/{code}", f.getEntitlements)
	mux.HandleFunc("GET /v1/entitlements/{code}/allocations", f.listAllocations)
	mux.HandleFunc("POST /v1/entitlements/{code}/allocations", f.postAllocation)
	mux.HandleFunc("DELETE /v1/entitlements/{code}/allocations/{id}", f.deleteAllocation)
	mux.HandleFunc("GET /v1/allocations/{id}/license", f.getLicense)
	mux.HandleFunc("POST /v1/renewals", f.postRenewals)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		start := f.now()
		rw := &statusWriter{ResponseWriter: w, status: 200}
		mux.ServeHTTP(rw, r)
		f.log.Info("request", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Int("status", rw.status),
			zap.String("from", r.RemoteAddr), zap.Duration("took", f.now().Sub(start)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

// entitlementView is an entitlement as the API shows it.
type entitlementView struct {
	ID        string `json:"id"`
	Feature   string `json:"feature"`
	Product   string `json:"product"`
	Edition   string `json:"edition"`
	Model     string `json:"model"`
	Quantity  int    `json:"quantity"`
	Available int    `json:"available"`
	Allocated int    `json:"allocated"`
	CSS       string `json:"css"`
	Expiry    string `json:"expiry"`
}

type allocationView struct {
	ID          string     `json:"id"`
	Code        string     `json:"code"`
	Entitlement string     `json:"entitlement"`
	Feature     string     `json:"feature"`
	Host        string     `json:"host"`
	Quantity    int        `json:"quantity"`
	SN          string     `json:"sn"`
	CSS         string     `json:"css"`
	Created     time.Time  `json:"created"`
	Returned    *time.Time `json:"returned,omitempty"`
	LicenseURL  string     `json:"license_url,omitempty"`
}

func (st *fulfilStore) viewAllocation(a *allocation) allocationView {
	v := allocationView{ID: a.ID, Code: a.Code, Entitlement: a.Entitlement, Host: a.Host, Quantity: a.Quantity, SN: a.ID,
		Created: a.Created, Returned: a.Returned}
	if ac := st.Codes[a.Code]; ac != nil {
		if e, err := ac.entitlement(a.Entitlement); err == nil {
			v.Feature, v.CSS = e.Feature, e.CSS
		}
	}
	if a.Returned == nil {
		v.LicenseURL = "/v1/allocations/" + a.ID + "/license"
	}
	return v
}

func (f *fulfilment) getEntitlements(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	var out struct {
		Code         string            `json:"code"`
		Customer     string            `json:"customer,omitempty"`
		Entitlements []entitlementView `json:"entitlements"`
	}
	err := f.store.read(func(st *fulfilStore) error {
		ac, err := st.code(code)
		if err != nil {
			return err
		}
		out.Code, out.Customer = ac.Code, ac.Customer
		out.Entitlements = []entitlementView{}
		for _, e := range ac.Entitlements {
			avail, alloc := st.available(code, e)
			p, ed, m, _ := license.SplitFeature(e.Feature)
			out.Entitlements = append(out.Entitlements, entitlementView{ID: e.ID, Feature: e.Feature, Product: p, Edition: ed, Model: m,
				Quantity: e.Quantity, Available: avail, Allocated: alloc, CSS: e.CSS, Expiry: e.Expiry})
		}
		return nil
	})
	f.reply(w, 200, out, err)
}

func (f *fulfilment) listAllocations(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	out := struct {
		Allocations []allocationView `json:"allocations"`
	}{Allocations: []allocationView{}}
	err := f.store.read(func(st *fulfilStore) error {
		if _, err := st.code(code); err != nil {
			return err
		}
		for _, a := range st.allocationsOf(code) {
			out.Allocations = append(out.Allocations, st.viewAllocation(a))
		}
		return nil
	})
	f.reply(w, 200, out, err)
}

func (f *fulfilment) postAllocation(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	var req struct {
		Entitlement string `json:"entitlement"`
		Host        string `json:"host"`
		Quantity    int    `json:"quantity"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		f.reply(w, 0, nil, err)
		return
	}
	var out allocationView
	err := f.store.update(func(st *fulfilStore) (bool, error) {
		a, err := st.allocate(code, req.Entitlement, req.Host, req.Quantity, f.now())
		if err != nil {
			return false, err
		}
		out = st.viewAllocation(a)
		return true, nil
	})
	if err == nil {
		f.log.Info("allocated", zap.String("allocation", out.ID), zap.String("feature", out.Feature), zap.Int("quantity", out.Quantity), zap.String("host", out.Host))
	}
	f.reply(w, 201, out, err)
}

func (f *fulfilment) deleteAllocation(w http.ResponseWriter, r *http.Request) {
	code, id := r.PathValue("code"), r.PathValue("id")
	var out allocationView
	err := f.store.update(func(st *fulfilStore) (bool, error) {
		a, err := st.returnAllocation(code, id, f.now())
		if err != nil {
			return false, err
		}
		out = st.viewAllocation(a)
		return true, nil
	})
	if err == nil {
		f.log.Info("returned", zap.String("allocation", id))
	}
	f.reply(w, 200, out, err)
}

func (f *fulfilment) getLicense(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var text string
	err := f.store.read(func(st *fulfilStore) error {
		var err error
		text, err = st.licenseFile(id, f.priv, f.now())
		return err
	})
	if err != nil {
		f.reply(w, 0, nil, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="fulfil-`+id+`.lic"`)
	_, _ = io.WriteString(w, text)
}

func (f *fulfilment) postRenewals(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Host      string          `json:"host"`
		Installed []installedLine `json:"installed"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		f.reply(w, 0, nil, err)
		return
	}
	if len(req.Installed) > maxInstalledLines {
		f.reply(w, 0, nil, ferr(400, "too-many", "%d installed lines: send at most %d per request", len(req.Installed), maxInstalledLines))
		return
	}
	var out struct {
		Renewals []renewalOffer `json:"renewals"`
	}
	err := f.store.read(func(st *fulfilStore) error {
		var err error
		out.Renewals, err = st.renewals(req.Host, req.Installed)
		return err
	})
	f.reply(w, 200, out, err)
}

// decodeBody reads one JSON object of at most maxRequestBody bytes with only known fields.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return ferr(415, "bad-content-type", "send application/json, not %q", ct)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ferr(413, "too-large", "the request body is larger than %d bytes", maxRequestBody)
		}
		return ferr(400, "bad-body", "read the request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ferr(400, "bad-json", "the request body is not the JSON object expected: %v", err)
	}
	if dec.More() {
		return ferr(400, "bad-json", "the request body has more than one JSON value")
	}
	return nil
}

// reply writes v with status, or the error as {"error", "code"}.
func (f *fulfilment) reply(w http.ResponseWriter, status int, v any, err error) {
	if err == nil {
		writeJSON(w, status, v)
		return
	}
	var fe *fulfilError
	if !errors.As(err, &fe) {
		f.log.Error("request failed", zap.Error(err))
		fe = &fulfilError{Status: 500, Code: "internal", Msg: "the fulfilment service failed; its log says why"}
	}
	writeJSON(w, fe.Status, map[string]string{"error": fe.Msg, "code": fe.Code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
