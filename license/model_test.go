package license

import "testing"

func TestModelOfFeature(t *testing.T) {
	tests := []struct {
		feature string
		want    Model
		wantErr bool
	}{
		{"MPS_ENT_CCU", ModelConcurrent, false},
		{"XDT_PLT_CCS", ModelConcurrent, false},
		{"XDT_PLT_UD", ModelUserDevice, false},
		{"CXM_ENTU_UD", ModelUserDevice, false},
		{"XDT_PLT_USR", ModelPerUser, false},
		{"XDT_PLT_DEV", ModelPerDevice, false},
		{"CTX_HV_SKT", ModelPerSocket, false},
		{"MPS_ENT_NU", ModelNamedUser, false},
		{"XYZ_STD_SYS", ModelServer, false},
		{"XYZ_STD_SRV", ModelServer, false},
		{"CBR_100_SSERVER", ModelServer, false}, // the manual's base-license example
		{"CITRIX", ModelServer, false},          // "Citrix Start-up license"
		{"CTXLSDIAG", ModelServer, false},       // "Citrix License Server Diagnostics License"
		{"XDT_PLT_XYZ", ModelUnknown, true},
		{"XDT_UD", ModelUnknown, true},
		{"jupiter", ModelUnknown, true},
		{"XDT__UD", ModelUnknown, true},
		{"XDT_PLT_ud", ModelUnknown, true}, // codes are upper case, as the manual writes them
	}
	for _, tt := range tests {
		got, err := ModelOfFeature(tt.feature)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ModelOfFeature(%q) = %v, %v; want %v, error %v", tt.feature, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestModelNamesAndOverdraft(t *testing.T) {
	// "License overdraft": user/device, user and device licenses carry it; concurrent and
	// server licenses do not.
	tests := []struct {
		m         Model
		name      string
		overdraft bool
	}{
		{ModelConcurrent, "concurrent", false},
		{ModelUserDevice, "user/device", true},
		{ModelPerUser, "per-user", true},
		{ModelPerDevice, "per-device", true},
		{ModelPerSocket, "per-socket", false},
		{ModelNamedUser, "named-user", true},
		{ModelServer, "server", false},
		{ModelUnknown, "unknown", false},
		{Model(200), "model(200)", false},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.name {
			t.Errorf("Model(%d).String() = %q, want %q", tt.m, got, tt.name)
		}
		if got := tt.m.HasOverdraft(); got != tt.overdraft {
			t.Errorf("%v.HasOverdraft() = %v, want %v", tt.m, got, tt.overdraft)
		}
	}
}

func TestSplitFeatureRoundTrip(t *testing.T) {
	tests := []struct {
		feature, product, edition, code string
		ok                              bool
	}{
		{"XDT_PLT_UD", "XDT", "PLT", "UD", true},
		{"CBR_100_SSERVER", "CBR", "100", "SSERVER", true},
		{"ABC_X_Y_CCU", "ABC", "X_Y", "CCU", true},
		{"CITRIX", "", "", "", false},
		{"A_B", "", "", "", false},
		{"_B_C", "", "", "", false},
		{"A_B_", "", "", "", false},
	}
	for _, tt := range tests {
		p, e, c, ok := SplitFeature(tt.feature)
		if p != tt.product || e != tt.edition || c != tt.code || ok != tt.ok {
			t.Errorf("SplitFeature(%q) = %q %q %q %v", tt.feature, p, e, c, ok)
		}
		if ok && FeatureName(p, e, c) != tt.feature {
			t.Errorf("FeatureName(%q, %q, %q) = %q, want %q", p, e, c, FeatureName(p, e, c), tt.feature)
		}
	}
}
