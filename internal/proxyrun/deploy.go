package proxyrun

import (
	"fmt"
	"strconv"
)

// Sites says where the shipped configs' two sites and two upstreams are on
// this machine: Curfew and the product as host:port, and the loopback ports
// the proxy listens on for the product (app.example.com) and for Curfew
// (login.example.com).
type Sites struct {
	Curfew, Product    string
	AppPort, LoginPort int
}

// AppURL is the product's address through the proxy.
func (s Sites) AppURL() string { return "http://127.0.0.1:" + strconv.Itoa(s.AppPort) }

// LoginURL is Curfew's address through the proxy.
func (s Sites) LoginURL() string { return "http://127.0.0.1:" + strconv.Itoa(s.LoginPort) }

// NginxSites renders deploy/nginx/curfew.conf for s.
func NginxSites(conf string, s Sites) (string, error) {
	const listen = "    listen 80;  # EDIT: listen 443 ssl; with your certificate\n    server_name "
	return Render(conf,
		Edit{"server 127.0.0.1:8080;", "server " + s.Curfew + ";"},
		Edit{"server 127.0.0.1:3000;", "server " + s.Product + ";"},
		Edit{listen + "app.example.com;", fmt.Sprintf("    listen 127.0.0.1:%d;\n    server_name app.example.com;", s.AppPort)},
		Edit{listen + "login.example.com;", fmt.Sprintf("    listen 127.0.0.1:%d;\n    server_name login.example.com;", s.LoginPort)},
		Edit{"https://login.example.com", s.LoginURL()},
	)
}

// CaddySites renders deploy/caddy/Caddyfile for s, with Caddy's admin
// endpoint and automatic HTTPS turned off.
func CaddySites(caddyfile string, s Sites) (string, error) {
	out, err := Render(caddyfile,
		Edit{"127.0.0.1:8080", s.Curfew},
		Edit{"127.0.0.1:3000", s.Product},
		Edit{"\napp.example.com {", "\n" + s.AppURL() + " {"},
		Edit{"\nlogin.example.com {", "\n" + s.LoginURL() + " {"},
		Edit{"https://login.example.com", s.LoginURL()},
	)
	if err != nil {
		return "", err
	}
	return "{\n\tadmin off\n\tauto_https off\n}\n\n" + out, nil
}
