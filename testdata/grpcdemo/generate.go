// Package grpcdemo holds the demo gRPC service behind the grpc-*.pcap and h2c-*.pcap
// captures in testdata/: demo.proto, its generated Go code (demov1/), the
// FileDescriptorSet demo.pb (for schema-aware decoding tests), a server (server/)
// and a client (client/). testdata/make-h2-captures.sh builds and runs them.
package grpcdemo

// Regenerate demov1/*.pb.go and demo.pb after editing demo.proto. Run from this folder, so
// the registered file name is demo.proto (what tshark's protobuf search path also finds).
//go:generate sh -c "protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) -I . --go_out=. --go_opt=module=github.com/apisensor/sensor/testdata/grpcdemo --go-grpc_out=. --go-grpc_opt=module=github.com/apisensor/sensor/testdata/grpcdemo demo.proto"
//go:generate protoc -I . --descriptor_set_out=demo.pb --include_imports demo.proto
