package auth

import (
	_ "embed"
	"strings"
	"sync"
)

// weakSecretsText is the list of HMAC secrets the "jwt" detector tries:
// defaults from documentation, tutorials and frameworks, and common
// passwords. One secret per line, taken as is (no trimming of inner
// spaces); empty lines and lines starting with "#" are skipped.
//
//go:embed weak-secrets.txt
var weakSecretsText string

// maxSecrets bounds the list, and so the per-token cost of the check.
const maxSecrets = 1024

// secretList holds the secrets and the file line each came from, so an
// alert can name the line without quoting the secret.
type secretList struct {
	secrets [][]byte
	lines   []int
}

var weakSecrets = sync.OnceValue(func() *secretList {
	l := &secretList{}
	for i, line := range strings.Split(weakSecretsText, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(l.secrets) == maxSecrets {
			break
		}
		l.secrets = append(l.secrets, []byte(line))
		l.lines = append(l.lines, i+1)
	}
	return l
})
