package main

import (
	"flag"

	"github.com/apisensor/sensor/pipeline/publish/kafka"
)

// kafkaClientFlags binds the flags that say how to reach the brokers, each
// name starting with prefix ("" for `sensor alerts`, "kafka-" for replay). It
// returns the comma-separated broker list; finish fills it into client.
func kafkaClientFlags(fs *flag.FlagSet, prefix string, client *kafka.ClientConfig) (brokers *string, finish func()) {
	brokers = fs.String(prefix+"brokers", "", "comma-separated Kafka bootstrap brokers, host:port")
	fs.StringVar(&client.ClientID, prefix+"client-id", client.ClientID, "client id sent to the brokers")
	fs.BoolVar(&client.TLS.Enable, prefix+"tls", false, "connect to the brokers with TLS")
	fs.StringVar(&client.TLS.CAFile, prefix+"tls-ca", "", "PEM file of the CAs that sign the brokers' certificates (default: system roots)")
	fs.StringVar(&client.TLS.CertFile, prefix+"tls-cert", "", "PEM client certificate, for brokers that require one")
	fs.StringVar(&client.TLS.KeyFile, prefix+"tls-key", "", "PEM key of --"+prefix+"tls-cert")
	fs.StringVar(&client.TLS.ServerName, prefix+"tls-server-name", "", "name to verify in the brokers' certificates")
	fs.StringVar(&client.SASL.Mechanism, prefix+"sasl-mechanism", "", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.StringVar(&client.SASL.Username, prefix+"sasl-user", "", "SASL user name")
	fs.StringVar(&client.SASL.PasswordFile, prefix+"sasl-password-file", "", "file holding the SASL password")
	finish = func() {
		client.Brokers = splitList(*brokers)
		if client.TLS.CAFile != "" || client.TLS.CertFile != "" || client.TLS.ServerName != "" {
			client.TLS.Enable = true // a TLS setting implies TLS
		}
	}
	return brokers, finish
}
