//go:build !race

package behave

const raceEnabled = false
