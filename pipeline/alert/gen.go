// Package alert defines the sensor's alert: the protobuf schema in
// alert.proto (generated Go in alert.pb.go), its stable JSON rendering, the
// deterministic alert id, and the redaction applied to anything copied from
// traffic into an alert.
//
// Detectors (pipeline/detect/...) build alerts; publishers
// (pipeline/publish/...) encode and deliver them.
package alert

// Regenerate alert.pb.go after editing alert.proto; run from the repository
// root so the registered file name is pipeline/alert/alert.proto.
//go:generate sh -c "cd ../.. && protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --go_out=. --go_opt=paths=source_relative pipeline/alert/alert.proto"
