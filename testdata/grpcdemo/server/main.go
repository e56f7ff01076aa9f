// Command server answers the clients recorded by testdata/make-h2-captures.sh: the
// demo.v1.Users gRPC service on -grpc, and on -h2c a small JSON API over cleartext HTTP/2
// (prior knowledge and HTTP/1.1 Upgrade) plus a hand-written grpc-web endpoint for
// demo.v1.Users/GetUser. Every answer is a pure function of the request, so re-running the
// script records the same exchanges.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/http2"
	//lint:ignore SA1019 deprecated, but the only Go server that accepts Upgrade: h2c
	"golang.org/x/net/http2/h2c"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // answers gzip-compressed calls in kind
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	demov1 "github.com/apisensor/sensor/testdata/grpcdemo/demov1"
)

// maxPage bounds ListUsers and maxBody bounds request bodies of the HTTP API.
const (
	maxPage = 100
	maxBody = 1 << 20
)

func main() {
	grpcAddr := flag.String("grpc", ":50051", "gRPC listen address")
	h2cAddr := flag.String("h2c", ":8080", "h2c (HTTP/2 cleartext) listen address")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*grpcAddr, *h2cAddr, log); err != nil {
		log.Error("server", "err", err)
		os.Exit(1)
	}
}

func run(grpcAddr, h2cAddr string, log *slog.Logger) error {
	gl, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		return fmt.Errorf("listen grpc: %w", err)
	}
	hl, err := net.Listen("tcp", h2cAddr)
	if err != nil {
		return fmt.Errorf("listen h2c: %w", err)
	}
	gs := grpc.NewServer()
	demov1.RegisterUsersServer(gs, usersServer{})
	hs := &http.Server{
		// Not http.Server.Protocols: it speaks prior-knowledge h2c only, and the
		// h2c-upgrade capture needs the Upgrade path.
		//lint:ignore SA1019 see above
		Handler:           h2c.NewHandler(newMux(), &http2.Server{}),
		ReadHeaderTimeout: 5 * time.Second,
	}

	errc := make(chan error, 2)
	go func() { errc <- gs.Serve(gl) }()
	go func() { errc <- hs.Serve(hl) }()
	log.Info("listening", "grpc", gl.Addr().String(), "h2c", hl.Addr().String())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
	case err = <-errc:
	}
	gs.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if serr := hs.Shutdown(ctx); err == nil && serr != nil {
		err = fmt.Errorf("shutdown h2c: %w", serr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

type usersServer struct {
	demov1.UnimplementedUsersServer
}

// user is the one record every RPC and the JSON API derive their answers from.
func user(id int64) *demov1.User {
	role := demov1.Role_ROLE_USER
	if id%3 == 0 {
		role = demov1.Role_ROLE_ADMIN
	}
	return &demov1.User{
		Id:      id,
		Name:    fmt.Sprintf("user-%d", id),
		Email:   fmt.Sprintf("user%d@example.com", id),
		Address: &demov1.Address{Street: fmt.Sprintf("%d Main St", id), City: "Springfield"},
		Tags:    []string{"demo", "id-" + strconv.FormatInt(id, 10)},
		Role:    role,
	}
}

func getUser(req *demov1.GetUserRequest) (*demov1.User, error) {
	if req.GetId() == 0 {
		return nil, status.Errorf(codes.NotFound, "user %d not found", req.GetId())
	}
	u := user(req.GetId())
	if f := req.GetFields(); f != "" {
		u.Tags = append(u.Tags, "fields:"+f)
	}
	return u, nil
}

func (usersServer) GetUser(_ context.Context, req *demov1.GetUserRequest) (*demov1.User, error) {
	return getUser(req)
}

func (usersServer) ListUsers(req *demov1.ListUsersRequest, stream grpc.ServerStreamingServer[demov1.User]) error {
	n := min(max(req.GetPageSize(), 0), maxPage)
	for i := int32(1); i <= n; i++ {
		u := user(int64(i))
		if f := req.GetFilter(); f != "" {
			u.Tags = append(u.Tags, "filter:"+f)
		}
		if err := stream.Send(u); err != nil {
			return err
		}
	}
	return nil
}

func (usersServer) UploadUsers(stream grpc.ClientStreamingServer[demov1.User, demov1.UploadSummary]) error {
	sum := &demov1.UploadSummary{}
	for {
		u, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(sum)
		}
		if err != nil {
			return err
		}
		if sum.Count >= maxPage {
			return status.Error(codes.ResourceExhausted, "too many users")
		}
		sum.Count++
		sum.Ids = append(sum.Ids, u.GetId())
		sum.LastName = u.GetName()
	}
}

func (usersServer) Chat(stream grpc.BidiStreamingServer[demov1.ChatMessage, demov1.ChatMessage]) error {
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		reply := &demov1.ChatMessage{
			Seq:      m.GetSeq(),
			From:     "server",
			Text:     "echo: " + m.GetText(),
			Location: m.GetLocation(),
		}
		if err := stream.Send(reply); err != nil {
			return err
		}
	}
}

func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user"})
			return
		}
		u := user(id)
		writeJSON(w, http.StatusOK, map[string]any{
			"id": u.Id, "name": u.Name, "email": u.Email,
			"address": map[string]string{"street": u.Address.Street, "city": u.Address.City},
		})
	})
	mux.HandleFunc("GET /api/search", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		if strings.ContainsRune(q, '\'') {
			// Pretend the query reached a database, as the HTTP/1 apiserver does.
			writeJSON(w, http.StatusInternalServerError, map[string]string{
				"error": "You have an error in your SQL syntax; check the manual near '" + q + "'",
			})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"q": q, "results": []string{"widget", "gadget"}})
	})
	mux.HandleFunc("POST /api/orders", func(w http.ResponseWriter, r *http.Request) {
		var order map[string]any
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&order); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad json"})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"id": 1001, "order": order})
	})
	mux.HandleFunc("GET /api/ping", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /static/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "static %s\n%s", r.PathValue("name"), strings.Repeat("0123456789abcdef", 64))
	})
	mux.HandleFunc("POST /demo.v1.Users/GetUser", grpcWebGetUser)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// grpcWebGetUser serves GetUser in the grpc-web wire format (binary and base64 "text"),
// written by hand so the captures need no grpc-web proxy: one length-prefixed request
// message in, one message and a trailer frame (flag 0x80) out.
func grpcWebGetUser(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	text := strings.HasPrefix(ct, "application/grpc-web-text")
	if !strings.HasPrefix(ct, "application/grpc-web") {
		http.Error(w, "unsupported content type", http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, maxBody)
	if text {
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	raw, err := io.ReadAll(body)
	if err != nil || len(raw) < 5 || raw[0] != 0 || int(binary.BigEndian.Uint32(raw[1:5])) != len(raw)-5 {
		http.Error(w, "bad grpc-web frame", http.StatusBadRequest)
		return
	}
	var req demov1.GetUserRequest
	var out bytes.Buffer
	code, msg := codes.OK, ""
	if err := proto.Unmarshal(raw[5:], &req); err != nil {
		code, msg = codes.InvalidArgument, "bad request message"
	} else if u, err := getUser(&req); err != nil {
		st := status.Convert(err)
		code, msg = st.Code(), st.Message()
	} else {
		b, _ := proto.Marshal(u)
		out.Write(frame(0, b))
	}
	trailer := fmt.Sprintf("grpc-status: %d\r\n", code)
	if msg != "" {
		trailer += "grpc-message: " + msg + "\r\n"
	}
	out.Write(frame(0x80, []byte(trailer)))

	respCT := "application/grpc-web+proto"
	resp := out.Bytes()
	if text {
		respCT = "application/grpc-web-text+proto"
		resp = []byte(base64.StdEncoding.EncodeToString(resp))
	}
	w.Header().Set("Content-Type", respCT)
	w.Header().Set("Content-Length", strconv.Itoa(len(resp)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}

func frame(flag byte, b []byte) []byte {
	f := make([]byte, 5, 5+len(b))
	f[0] = flag
	binary.BigEndian.PutUint32(f[1:], uint32(len(b)))
	return append(f, b...)
}
