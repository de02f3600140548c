package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ask prints a question and reads the answer line. When the answer does not come from a
// terminal (a script, a test) it is echoed, so that the transcript reads as a dialogue.
func (e *env) ask(question string) string {
	fmt.Fprint(e.stdout, question)
	answer := strings.TrimSpace(readRawLine(e.stdin))
	if !e.stdinIsTerminal() {
		fmt.Fprintln(e.stdout, answer)
	}
	return answer
}

func (e *env) stdinIsTerminal() bool {
	f, ok := e.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func yes(s string) bool { return strings.EqualFold(s, "y") || strings.EqualFold(s, "yes") }

// readRawLine reads up to the first newline without reading past it (so that several
// answers can follow each other on one input), keeping spaces (passwords may have them).
func readRawLine(r io.Reader) string {
	var b strings.Builder
	var c [1]byte
	for {
		n, err := r.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				break
			}
			b.WriteByte(c[0])
		}
		if err != nil {
			break
		}
	}
	return b.String()
}
