package wire

import "testing"

// "Licensing commands": the utilities exit with the error number modulo 256.
func TestExitStatusIsCodeModulo256(t *testing.T) {
	if got := CodeCannotConnect.ExitStatus(); got != 241 {
		t.Fatalf("-15 exits %d, want 241", got)
	}
	if got := OK.ExitStatus(); got != 0 {
		t.Fatalf("OK exits %d", got)
	}
}

func TestEveryCodeHasText(t *testing.T) {
	for c := range codeText {
		if c.Text() == "" {
			t.Errorf("code %d has empty text", c)
		}
	}
	if Code(-4242).Text() != "Unknown error -4242." {
		t.Errorf("unknown code text: %q", Code(-4242).Text())
	}
}
