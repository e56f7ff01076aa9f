// Package evalpb is the generated Go code of eval.proto, the gRPC service the
// detection evaluation (testdata/eval) sends its protobuf placement to.
package evalpb

// Regenerate eval.pb.go and eval_grpc.pb.go after editing eval.proto; run from this folder.
//go:generate sh -c "protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) -I . --go_out=. --go_opt=module=github.com/apisensor/sensor/testdata/eval/evalpb --go-grpc_out=. --go-grpc_opt=module=github.com/apisensor/sensor/testdata/eval/evalpb eval.proto"
