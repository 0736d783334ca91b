#![allow(clippy::unwrap_used)]
//! The account and signing use cases on SQLite and, when reachable, PostgreSQL: login with
//! lockout, the role a meaning needs, the password asked again at signing (a wrong one is
//! refused, recorded and counted toward the same lockout as logins), every step in the
//! tenant's trail and no password in it.

use service::ServiceError;
use store::documents::{self, NewVersion};
use store::{Meaning, NewUser, Role, SessionPolicy, Slug, Store, StoreConfig, StoreError};

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn open(dir: &std::path::Path, url: Option<String>) -> Store {
    let s = Store::open(StoreConfig {
        data_dir: dir.to_path_buf(),
        database_url: url,
        max_connections: 4,
        runtime_role: None,
    })
    .await
    .unwrap();
    s.migrate().await.unwrap();
    s
}

async fn pg_admin(dir: &std::path::Path) -> Option<Store> {
    match tokio::time::timeout(
        std::time::Duration::from_secs(3),
        Store::open(StoreConfig {
            data_dir: dir.join("admin"),
            database_url: Some(PG_ADMIN.into()),
            max_connections: 1,
            runtime_role: None,
        }),
    )
    .await
    {
        Ok(Ok(s)) => Some(s),
        _ => {
            testkit::skip(testkit::Require::Pg, "no PostgreSQL at 127.0.0.1:5432");
            None
        }
    }
}

fn store_err(r: Result<impl std::fmt::Debug, ServiceError>) -> StoreError {
    match r {
        Err(ServiceError::Store(e)) => e,
        other => panic!("expected a store error, got {other:?}"),
    }
}

async fn accounts(s: &Store) {
    s.create_tenant("acme", "Acme", &store::By::system())
        .await
        .unwrap();
    let t = Slug::parse("acme").unwrap();
    let user = |name: &str, password: &str, roles: Vec<Role>| NewUser {
        username: name.into(),
        display_name: Some("Alice".into()),
        password: password.into(),
        roles,
        must_change_password: false,
    };
    let by = store::By::system();
    let weak = service::accounts::create_user_as_operator(
        s,
        &t,
        user("alice", "short", vec![Role::Writer]),
        &by,
    )
    .await;
    assert!(matches!(store_err(weak), StoreError::WeakPassword(_)));
    let alice = service::accounts::create_user_as_operator(
        s,
        &t,
        user(
            "alice",
            "a long enough passphrase",
            vec![Role::Writer, Role::Qa],
        ),
        &by,
    )
    .await
    .unwrap();
    // A document version to sign.
    let (doc, _) = s
        .tenant_write(&t, |uow| {
            Box::pin(async move {
                let dv = documents::create(
                    uow.txn(),
                    NewVersion {
                        title: "Protocol".into(),
                        filename: "protocol.pdf".into(),
                        format: "pdf".into(),
                        media_type: "application/pdf".into(),
                        blob_sha256: "cd".repeat(32),
                        size_bytes: 1,
                        structure: "{}".into(),
                        // Alice uploaded it: she is its author.
                        created_by: alice.id,
                    },
                )
                .await?;
                uow.record(store::By::system().draft("document.upload", "document", None))
                    .await?;
                Ok(dv)
            })
        })
        .await
        .unwrap();

    let p = SessionPolicy::default();
    let attempts = &service::attempts::Attempts::new(service::attempts::AttemptLimits {
        per_address_per_minute: 100,
        per_tenant_per_minute: 100,
        collapse: std::time::Duration::ZERO,
    });
    let login = |pw: &'static str| {
        service::accounts::login(s, attempts, p, "acme", "alice", pw, Default::default())
    };
    let out = login("a long enough passphrase").await.unwrap();
    let who = s.authenticate(&out.token, p).await.unwrap();
    assert_eq!(who.tenant.as_str(), "acme");
    assert_eq!(who.roles, vec![Role::Writer, Role::Qa]);
    // A meaning the roles do not allow is refused before the password is looked at.
    let sign = |m: Meaning, pw: &'static str| {
        service::signing::sign_version(
            s,
            attempts,
            &who,
            service::signing::SignVersion {
                id: doc.id,
                version: 1,
                meaning: m,
                password: pw,
            },
            Default::default(),
        )
    };
    assert!(matches!(
        sign(Meaning::Responsible, "a long enough passphrase").await,
        Err(ServiceError::Forbidden)
    ));
    assert!(matches!(
        service::signing::sign_version(
            s,
            attempts,
            &who,
            service::signing::SignVersion {
                id: doc.id,
                version: 9,
                meaning: Meaning::Authored,
                password: "x",
            },
            Default::default()
        )
        .await,
        Err(ServiceError::NotFound(_))
    ));
    // An electronic signature asks for the password again; a wrong one is refused and
    // counts toward the lockout.
    let sig = sign(Meaning::Authored, "a long enough passphrase")
        .await
        .unwrap();
    assert!(sig.valid);
    assert_eq!(sig.signature.signer_printed_name, "Alice");
    assert!(
        sig.signature
            .manifestation
            .contains("Alice (alice), authored, ")
    );
    assert!(matches!(
        store_err(sign(Meaning::Reviewed, "not the password at all").await),
        StoreError::SignatureRefused
    ));
    // The right password does not let the author review her own version.
    assert!(matches!(
        sign(Meaning::Reviewed, "a long enough passphrase").await,
        Err(ServiceError::SignaturePolicy(_))
    ));
    let listed = service::signing::version_signatures(s, &who, doc.id, 1)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    service::accounts::logout(s, &who, Default::default())
        .await
        .unwrap();
    assert!(matches!(
        s.authenticate(&out.token, p).await,
        Err(StoreError::Unauthenticated)
    ));
    // Four wrong logins plus the wrong signature password: five failures, locked out.
    for _ in 0..4 {
        assert!(matches!(
            store_err(login("wrong password here").await),
            StoreError::InvalidCredentials
        ));
    }
    assert!(matches!(
        store_err(login("a long enough passphrase").await),
        StoreError::LockedOut
    ));
    // Every step is in the tenant's trail, in order, and no password is.
    let (events, _) = s.audit_all(&t).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "tenant.create",
            "user.create",
            "document.upload",
            "auth.login",
            "signature.sign",
            "signature.refused",
            "signature.refused",
            "auth.logout",
            "auth.login_failed",
            "auth.login_failed",
            "auth.login_failed",
            "auth.login_failed",
            "auth.lockout",
        ]
    );
    let lockout = events[12].new_value.as_ref().unwrap();
    assert_eq!(lockout["alert"], true);
    assert_eq!(lockout["during"], "login");
    assert_eq!(events[4].seq, sig.signature.audit_seq);
    assert_eq!(
        events[8].actor.user_id.as_deref(),
        Some(who.user_id.to_string().as_str())
    );
    let dump = serde_json::to_string(&events).unwrap();
    for secret in [
        "a long enough passphrase",
        "wrong password here",
        "not the password",
        "$argon2",
    ] {
        assert!(!dump.contains(secret), "the trail holds {secret:?}");
    }
    // Users are managed by admins only: alice (writer, qa) may not list them.
    assert!(matches!(
        service::accounts::list_users(s, &who).await,
        Err(ServiceError::Forbidden)
    ));
}

#[tokio::test]
async fn sqlite_accounts_lockout_and_signing() {
    let dir = tempfile::tempdir().unwrap();
    accounts(&open(dir.path(), None).await).await;
}

#[tokio::test]
async fn postgres_accounts_lockout_and_signing() {
    let dir = tempfile::tempdir().unwrap();
    let Some(admin) = pg_admin(dir.path()).await else {
        return;
    };
    let name = format!("dc_{}", uuid::Uuid::new_v4().simple());
    admin.create_database(&name).await.unwrap();
    let s = open(
        dir.path(),
        Some(format!("postgres://postgres@127.0.0.1:5432/{name}")),
    )
    .await;
    accounts(&s).await;
    drop(s);
    let _ = admin.drop_database(&name).await;
}
