// Command client drives the demo.v1.Users server for testdata/make-h2-captures.sh, one
// scenario per run and one gRPC connection per scenario, so each capture holds exactly the
// calls listed in testdata/README.md. Every call has a deadline; the whole run is bounded.
//
// With -scenario web-request it only prints a grpc-web request body (one length-prefixed
// GetUserRequest) on stdout, for curl to send.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	demov1 "github.com/apisensor/sensor/testdata/grpcdemo/demov1"
)

// The payloads the detectors must find inside protobuf string fields.
const (
	sqli = "' OR '1'='1' --"
	xss  = "<script>alert(1)</script>"
)

const callTimeout = 5 * time.Second

func main() {
	addr := flag.String("addr", "10.97.0.2:50051", "server address")
	scenario := flag.String("scenario", "unary", "unary, streams, injection, midstream or web-request")
	id := flag.Int64("id", 7, "web-request: GetUserRequest.id")
	fields := flag.String("fields", "", "web-request: GetUserRequest.fields")
	flag.Parse()
	if err := run(*addr, *scenario, *id, *fields); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func run(addr, scenario string, id int64, fields string) error {
	if scenario == "web-request" {
		b, err := proto.Marshal(&demov1.GetUserRequest{Id: id, Fields: fields})
		if err != nil {
			return err
		}
		var hdr [5]byte
		binary.BigEndian.PutUint32(hdr[1:], uint32(len(b)))
		_, err = os.Stdout.Write(append(hdr[:], b...))
		return err
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	c := demov1.NewUsersClient(conn)
	switch scenario {
	case "unary":
		return unary(c)
	case "streams":
		return streams(c)
	case "injection":
		return injection(c)
	case "midstream":
		return midstream(c)
	}
	return fmt.Errorf("unknown scenario %q", scenario)
}

// getUser makes one GetUser call and reports it on stderr; an error status is expected
// for id 0 and only reported.
func getUser(ctx context.Context, c demov1.UsersClient, req *demov1.GetUserRequest, opts ...grpc.CallOption) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	u, err := c.GetUser(ctx, req, opts...)
	if err != nil {
		st, ok := status.FromError(err)
		if !ok {
			return fmt.Errorf("get user %d: %w", req.GetId(), err)
		}
		fmt.Fprintf(os.Stderr, "  GetUser(%d) -> %s: %s\n", req.GetId(), st.Code(), st.Message())
		return nil
	}
	fmt.Fprintf(os.Stderr, "  GetUser(%d) -> %s\n", req.GetId(), u.GetName())
	return nil
}

func unary(c demov1.UsersClient) error {
	ctx := context.Background()
	for _, id := range []int64{1, 2, 3} {
		if err := getUser(ctx, c, &demov1.GetUserRequest{Id: id}); err != nil {
			return err
		}
	}
	if err := getUser(ctx, c, &demov1.GetUserRequest{Id: 0}); err != nil {
		return err
	}
	// Custom metadata travels as HTTP/2 headers.
	mctx := metadata.AppendToOutgoingContext(ctx, "x-request-id", "req-0005", "x-tenant", "acme")
	if err := getUser(mctx, c, &demov1.GetUserRequest{Id: 5, Fields: "name,email"}); err != nil {
		return err
	}
	return getUser(ctx, c, &demov1.GetUserRequest{Id: 42, Fields: "name,email,address"}, grpc.UseCompressor(gzip.Name))
}

func streams(c demov1.UsersClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*callTimeout)
	defer cancel()

	ls, err := c.ListUsers(ctx, &demov1.ListUsersRequest{PageSize: 5, Filter: "active"})
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	n := 0
	for {
		_, err := ls.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		n++
	}
	fmt.Fprintf(os.Stderr, "  ListUsers -> %d users\n", n)

	up, err := c.UploadUsers(ctx)
	if err != nil {
		return fmt.Errorf("upload users: %w", err)
	}
	for i := int64(101); i <= 104; i++ {
		u := &demov1.User{
			Id: i, Name: fmt.Sprintf("new-%d", i), Email: fmt.Sprintf("new%d@example.com", i),
			Address: &demov1.Address{Street: fmt.Sprintf("%d Elm St", i), City: "Shelbyville"},
			Tags:    []string{"import", "batch-1"}, Role: demov1.Role_ROLE_USER,
		}
		if err := up.Send(u); err != nil {
			return fmt.Errorf("upload users: %w", err)
		}
	}
	sum, err := up.CloseAndRecv()
	if err != nil {
		return fmt.Errorf("upload users: %w", err)
	}
	fmt.Fprintf(os.Stderr, "  UploadUsers -> count %d\n", sum.GetCount())

	return chat(ctx, c, []*demov1.ChatMessage{
		{Seq: 1, From: "alice", Text: "hello"},
		{Seq: 2, From: "alice", Text: "how are you?", Location: &demov1.Address{Street: "1 Main St", City: "Springfield"}},
		{Seq: 3, From: "alice", Text: "bye"},
	})
}

// chat sends each message and waits for its echo before sending the next, so the
// capture shows strict round trips.
func chat(ctx context.Context, c demov1.UsersClient, msgs []*demov1.ChatMessage) error {
	st, err := c.Chat(ctx)
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	for _, m := range msgs {
		if err := st.Send(m); err != nil {
			return fmt.Errorf("chat send: %w", err)
		}
		if _, err := st.Recv(); err != nil {
			return fmt.Errorf("chat recv: %w", err)
		}
	}
	if err := st.CloseSend(); err != nil {
		return fmt.Errorf("chat close: %w", err)
	}
	if _, err := st.Recv(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("chat end: %w", err)
	}
	fmt.Fprintf(os.Stderr, "  Chat -> %d round trips\n", len(msgs))
	return nil
}

func injection(c demov1.UsersClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*callTimeout)
	defer cancel()

	// SQLi in a top-level string field (GetUserRequest.fields, field 2).
	if err := getUser(ctx, c, &demov1.GetUserRequest{Id: 7, Fields: sqli}); err != nil {
		return err
	}

	// SQLi in User.name (2), XSS in User.address.street (4.1), among clean users.
	up, err := c.UploadUsers(ctx)
	if err != nil {
		return fmt.Errorf("upload users: %w", err)
	}
	users := []*demov1.User{
		{Id: 201, Name: "clean", Email: "clean@example.com", Address: &demov1.Address{Street: "2 Oak St", City: "Springfield"}},
		{Id: 202, Name: sqli, Email: "eve@example.com", Address: &demov1.Address{Street: xss, City: "Springfield"}, Tags: []string{"import"}, Role: demov1.Role_ROLE_ADMIN},
	}
	for _, u := range users {
		if err := up.Send(u); err != nil {
			return fmt.Errorf("upload users: %w", err)
		}
	}
	if _, err := up.CloseAndRecv(); err != nil {
		return fmt.Errorf("upload users: %w", err)
	}
	fmt.Fprintf(os.Stderr, "  UploadUsers -> %d users\n", len(users))

	// SQLi in ChatMessage.text (3), XSS in ChatMessage.location.street (4.1).
	return chat(ctx, c, []*demov1.ChatMessage{
		{Seq: 1, From: "mallory", Text: "hi"},
		{Seq: 2, From: "mallory", Text: sqli, Location: &demov1.Address{Street: xss, City: "Springfield"}},
	})
}

// midstream makes many small calls on one connection so that, once the capture is cut
// after the first calls, the later header blocks refer to HPACK dynamic-table entries
// the cut removed.
func midstream(c demov1.UsersClient) error {
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tenant", "acme")
	for id := int64(1); id <= 20; id++ {
		rctx := metadata.AppendToOutgoingContext(ctx, "x-request-id", fmt.Sprintf("req-%04d", id))
		if err := getUser(rctx, c, &demov1.GetUserRequest{Id: id}); err != nil {
			return err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 3*callTimeout)
	defer cancel()
	msgs := make([]*demov1.ChatMessage, 5)
	for i := range msgs {
		msgs[i] = &demov1.ChatMessage{Seq: int64(i + 1), From: "bob", Text: fmt.Sprintf("message %d", i+1)}
	}
	if err := chat(cctx, c, msgs); err != nil {
		return err
	}
	return getUser(ctx, c, &demov1.GetUserRequest{Id: 0})
}
