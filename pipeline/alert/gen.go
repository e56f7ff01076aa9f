// Package alert defines the sensor's alert: the protobuf schema in
// alert.proto (generated Go in alert.pb.go), its stable JSON rendering, the
// deterministic alert id, and the redaction applied to anything copied from
// traffic into an alert. event.proto (event.pb.go) defines the per-exchange
// event of the `sensor.events` topic on the same terms.
//
// Detectors (pipeline/detect/...) build alerts; publishers
// (pipeline/publish/...) encode and deliver them.
package alert

// Regenerate the .pb.go files after editing a .proto; run from the
// repository root so the registered file names are pipeline/alert/*.proto.
//go:generate sh -c "cd ../.. && protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --go_out=. --go_opt=paths=source_relative pipeline/alert/alert.proto pipeline/alert/event.proto"
