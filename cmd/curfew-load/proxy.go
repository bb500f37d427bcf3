package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"curfew/internal/proxyrun"
)

// productPage is what the stand-in product answers: a fixed page of about
// 1 KB, longer than nginx's redirect to the sign-in page with its headers,
// so a redirect cannot pass for the page (see wrkFigure).
var productPage = "<!doctype html><title>Product</title><p>" + strings.Repeat("A page of the product. ", 45) + "</p>"

// proxyBench is nginx running for (f) and (g), one process serving three sites.
type proxyBench struct {
	proc     *proxyrun.Proc
	dir      string
	authURL  string // (f): the shipped config's product site, each request checked by Curfew
	plainURL string // (g): the same upstream through nginx, unchecked
}

// startProxyBench runs Debian's nginx with deploy/nginx/curfew.conf in front
// of a cheap product, nginx itself answering productPage from another server
// block, and a third server block proxying to the same product without the
// check, with the same proxy settings, for (g). Both of nginx's workers
// share the machine with Curfew and PostgreSQL, as they would on one host.
func startProxyBench(ctx context.Context, o options) (*proxyBench, error) {
	bin := o.nginx
	if bin == "" {
		var err error
		if bin, err = proxyrun.NginxPath(); err != nil {
			return nil, err
		}
	}
	shipped, err := os.ReadFile(o.nginxConf)
	if err != nil {
		return nil, fmt.Errorf("-nginx-conf: %w", err)
	}
	ports, err := proxyrun.FreePorts(4) // product site, Curfew site, stand-in product, unchecked site
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(o.base)
	if err != nil {
		return nil, err
	}
	product := "127.0.0.1:" + strconv.Itoa(ports[2])
	sites := proxyrun.Sites{Curfew: u.Host, Product: product, AppPort: ports[0], LoginPort: ports[1]}
	conf, err := proxyrun.NginxSites(string(shipped), sites)
	if err != nil {
		return nil, err
	}
	conf += fmt.Sprintf(`
# make bench: the stand-in product.
server {
    listen %s;
    location / {
        default_type text/html;
        return 200 '%s';
    }
}

# make bench (g): the same product through nginx, without the check.
server {
    listen 127.0.0.1:%d;
    location / {
        proxy_pass http://product;
        proxy_set_header Host              $host;
        proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
}
`, product, productPage, ports[3])
	dir, err := os.MkdirTemp("", "curfew-bench-nginx")
	if err != nil {
		return nil, err
	}
	p, err := proxyrun.StartNginx(ctx, bin, dir, proxyrun.NginxMain(dir, conf, 0), ports...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &proxyBench{proc: p, dir: dir, authURL: sites.AppURL(), plainURL: "http://127.0.0.1:" + strconv.Itoa(ports[3])}, nil
}

// stop ends nginx and removes its folder.
func (px *proxyBench) stop() {
	px.proc.Stop()
	os.RemoveAll(px.dir)
}

// childrenOf lists the processes whose parent is pid (nginx's workers).
func childrenOf(pid int) []int {
	var kids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, child)
		}
	}
	return kids
}
