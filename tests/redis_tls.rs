//! `rediss://`: TLS with rustls against a `redis-server --tls-port` of the test's own, with
//! certificates the test makes with the `openssl` command.

use std::path::{Path, PathBuf};
use std::process::Command;

use txova_db::ErrorKind;
use txova_db::redis::{Cache, Client, Config};
use txova_db_tests::redis_env::OwnServer;

/// A temporary directory holding a certificate authority (`ca.pem`) and a server
/// certificate it signed for `localhost` and `127.0.0.1` (`server.pem`, `server.key`), plus
/// another authority that signed nothing (`other.pem`). Removed when dropped.
struct Certs {
    dir: PathBuf,
}

impl Certs {
    fn make() -> Certs {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "txova-tls-{}-{:016x}",
            std::process::id(),
            u64::from_le_bytes(b)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("the openssl command");
            assert!(
                out.status.success(),
                "openssl {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        for ca in ["ca", "other"] {
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
                "-subj",
                &format!("/CN=txova test {ca}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ]);
        }
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        Certs { dir }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tls_server(certs: &Certs) -> OwnServer {
    OwnServer::start_with(|port| {
        let port = port.to_string();
        let server = [
            "--port",
            "0",
            "--tls-port",
            &port,
            "--tls-cert-file",
            &certs.file("server.pem"),
            "--tls-key-file",
            &certs.file("server.key"),
            "--tls-ca-cert-file",
            &certs.file("ca.pem"),
            "--tls-auth-clients",
            "no",
        ];
        let cli = ["--tls", "--cacert", &certs.file("ca.pem")];
        (
            server.map(String::from).to_vec(),
            cli.map(String::from).to_vec(),
        )
    })
}

#[tokio::test]
async fn rediss_works_with_the_servers_authority() {
    let certs = Certs::make();
    let server = tls_server(&certs);
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("rediss://{host}:{}", server.port());
        let client = Client::new(Config::new(url).tls_root_cert(certs.file("ca.pem")))
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        client.ping().await.unwrap();
        let cache = Cache::new(client);
        let key = txova_db::redis::CacheKey::<String>::parse("tls:test:1").unwrap();
        cache
            .set(
                &key,
                &"over tls".to_owned(),
                std::time::Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some("over tls"));
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let certs = Certs::make();
    let server = tls_server(&certs);
    let url = format!("rediss://localhost:{}", server.port());
    // The default roots (Mozilla's) and an authority that did not sign it: both refused.
    for config in [
        Config::new(url.clone()),
        Config::new(url.clone()).tls_root_cert(certs.file("other.pem")),
    ] {
        let e = Client::new(config).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        assert!(e.to_string().contains("certificate"), "{e}");
    }
    // Plain text to the TLS port is refused too, as a connection error.
    let plain = format!("redis://localhost:{}", server.port());
    let e = Client::new(Config::new(plain)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
}

#[tokio::test]
async fn bad_tls_settings_are_config_errors() {
    let certs = Certs::make();
    let missing = Path::new(&certs.file("missing.pem")).to_owned();
    let not_pem = certs.file("ext.cnf");
    let broken = certs.file("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n%%% not base64 %%%\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (config, what) in [
        (
            Config::new("rediss://localhost:1").tls_root_cert(&broken),
            "invalid certificate in",
        ),
        (
            Config::new("rediss://localhost:1").tls_root_cert(&missing),
            "cannot read",
        ),
        (
            Config::new("rediss://localhost:1").tls_root_cert(&not_pem),
            "no PEM certificate",
        ),
        (
            Config::new("redis://localhost:1").tls_root_cert(certs.file("ca.pem")),
            "not rediss",
        ),
        (
            Config::cluster(["rediss://localhost:1", "redis://localhost:2"]),
            "mixed",
        ),
    ] {
        let e = Client::new(config).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        assert!(e.to_string().contains(what), "{e}");
    }
}
