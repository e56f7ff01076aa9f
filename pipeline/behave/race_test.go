//go:build race

package behave

// raceEnabled: the race detector slows the million-event bound test ten
// times over and it tests no concurrency; it runs without -race.
const raceEnabled = true
