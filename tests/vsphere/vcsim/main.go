// Command vcsim runs the govmomi vCenter simulator for the vSphere provider's tests.
//
// It serves a VPX inventory (one datacenter DC0, one cluster DC0_C0 with one host,
// one datastore LocalDS_0, the "VM Network" and a distributed port group, two VMs)
// over TLS with a self-signed certificate, requires the login given by the
// VCSIM_USERNAME / VCSIM_PASSWORD environment variables, and registers the vAPI REST
// endpoints (tagging) unless -rest=false. It prints one JSON line {"url": ..., "thumbprint": ...} on
// stdout once it accepts connections, and exits on SIGTERM or SIGINT.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	rest := flag.Bool("rest", true, "serve the vAPI REST endpoints (tagging)")
	flag.Parse()

	user := os.Getenv("VCSIM_USERNAME")
	pass := os.Getenv("VCSIM_PASSWORD")
	if user == "" || pass == "" {
		log.Fatal("VCSIM_USERNAME and VCSIM_PASSWORD must be set")
	}

	model := simulator.VPX()
	model.Datacenter = 1
	model.Cluster = 1
	model.ClusterHost = 1
	model.Host = 0
	model.Machine = 2
	model.Datastore = 1
	model.Portgroup = 1
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	defer model.Remove()

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(user, pass)}
	model.Service.TLS = new(tls.Config)
	model.Service.RegisterEndpoints = *rest

	s := model.Service.NewServer()
	defer s.Close()

	out, _ := json.Marshal(map[string]string{
		"url":        s.URL.Host,
		"thumbprint": s.CertificateInfo().ThumbprintSHA1,
	})
	fmt.Println(string(out))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
