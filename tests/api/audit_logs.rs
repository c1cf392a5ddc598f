//! The audit log's reading side end to end: every search key, Coder's error texts, paging and
//! the capped count, who may read which rows, the license gate, retention and the CLI
//! (docs/rules/audit-log.md). Rows are seeded through the entity, so that each test knows
//! exactly which rows exist; the rows the fixture's own mutations write are cleared first.

use chrono::{DateTime, Duration, TimeZone, Utc};
use devplane::{
    clock::Clock,
    entity::{audit_log, workspace_build::BuildReason},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{GqlResponse, TestApp},
    hostile_input::assert_invalid,
};

const LOGS: &str = "query($f: String!, $offset: Int, $limit: Int, $first: Int, $after: String) {
  auditLogs(filter: $f, offset: $offset, limit: $limit, first: $first, after: $after) {
    totalCount countCap pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id time action resourceType resourceId resourceTarget diff statusCode ip userAgent
            requestId buildReason user { username } organization { name } }
    edges { cursor node { id } } } }";

/// One seeded row: (name in the tests, time, actor, organization, action, resource type,
/// resource id, target, build reason, status).
struct Seed {
    name: &'static str,
    time: DateTime<Utc>,
    user: Option<Uuid>,
    org: Option<Uuid>,
    action: audit_log::AuditAction,
    resource_type: &'static str,
    resource_id: Option<Uuid>,
    target: &'static str,
    build_reason: Option<BuildReason>,
    status: i32,
    request_id: Option<Uuid>,
}

async fn insert(app: &TestApp, seed: &Seed) -> Uuid {
    let id = Uuid::new_v4();
    audit_log::ActiveModel {
        id: Set(id),
        time: Set(seed.time),
        user_id: Set(seed.user),
        organization_id: Set(seed.org),
        action: Set(seed.action),
        resource_type: Set(seed.resource_type.into()),
        resource_id: Set(seed.resource_id),
        resource_target: Set(seed.target.into()),
        diff: Set(json!({ "name": { "old": "", "new": seed.target, "secret": false } })),
        status_code: Set(seed.status),
        ip: Set(Some("10.0.0.1".into())),
        user_agent: Set("curl/8".into()),
        request_id: Set(seed.request_id.map(|r| r.to_string()).unwrap_or_default()),
        build_reason: Set(seed.build_reason),
    }
    .insert(&app.db)
    .await
    .expect("audit row");
    id
}

/// Removes every audit row, such as those the fixture's own mutations wrote.
async fn clear(app: &TestApp) {
    audit_log::Entity::delete_many()
        .exec(&app.db)
        .await
        .expect("cleared");
}

struct Fixture {
    app: TestApp,
    /// The first user, an owner.
    token: String,
    org_a: String,
    org_b: String,
    alice: String,
    auditor: String,
    org_auditor_a: String,
    org_admin_b: String,
    member: String,
    /// The seeded rows' ids by name.
    rows: Vec<(&'static str, Uuid)>,
    w1: Uuid,
    q1: Uuid,
}

async fn fixture(extra: &[&str]) -> Fixture {
    let mut args = vec!["--provisioner-daemons", "0"];
    args.extend_from_slice(extra);
    let app = TestApp::spawn_with(&args).await;
    let token = app.create_first_user().await;
    app.install_premium_license(&token).await;
    let org_a = app.default_org(&token).await;
    let org_b = app
        .gql(
            "mutation { createOrganization(input: {name: \"orgb\"}) { id } }",
            json!({}),
            Some(&token),
        )
        .await
        .data()["createOrganization"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let admin_id = app
        .gql("{ viewer { id } }", json!({}), Some(&token))
        .await
        .data()["viewer"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (alice_id, alice) = app.create_user(&token, "alice", &[]).await;
    let (bob_id, _) = app.create_user(&token, "bob", &[]).await;
    let (_, auditor) = app.create_user(&token, "auditor", &["AUDITOR"]).await;
    let (org_auditor_id, org_auditor_a) = app.create_user(&token, "orgauditor", &[]).await;
    app.gql(
        "mutation($input: OrganizationMemberInput!) { updateOrganizationMemberRoles(input: $input) { roles } }",
        json!({ "input": { "organizationId": org_a, "userId": org_auditor_id, "roles": ["ORGANIZATION_AUDITOR"] } }),
        Some(&token),
    )
    .await
    .data();
    let (org_admin_id, org_admin_b) = app.create_user(&token, "orgadmin", &[]).await;
    app.gql(
        "mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { roles } }",
        json!({ "input": { "organizationId": org_b, "userId": org_admin_id, "roles": ["ORGANIZATION_ADMIN"] } }),
        Some(&token),
    )
    .await
    .data();
    let (_, member) = app.create_user(&token, "carol", &[]).await;
    clear(&app).await;

    let uuid = |s: &str| Uuid::parse_str(s).expect("uuid");
    let (a, b) = (uuid(&org_a), uuid(&org_b));
    let day = |d: u32, h: u32, m: u32, s: u32| {
        Utc.with_ymd_and_hms(2024, 3, d, h, m, s)
            .single()
            .expect("time")
    };
    let (w1, q1) = (Uuid::new_v4(), Uuid::new_v4());
    use audit_log::AuditAction as A;
    let seeds = [
        Seed {
            name: "r1",
            time: day(1, 10, 0, 0),
            user: Some(uuid(&alice_id)),
            org: Some(a),
            action: A::Create,
            resource_type: "workspace",
            resource_id: Some(w1),
            target: "dev",
            build_reason: None,
            status: 200,
            request_id: Some(q1),
        },
        Seed {
            name: "r2",
            time: day(2, 23, 59, 30),
            user: Some(uuid(&alice_id)),
            org: Some(a),
            action: A::Start,
            resource_type: "workspace_build",
            resource_id: Some(Uuid::new_v4()),
            target: "dev",
            build_reason: Some(BuildReason::Initiator),
            status: 200,
            request_id: None,
        },
        Seed {
            name: "r3",
            time: day(3, 0, 0, 0),
            user: None,
            org: Some(a),
            action: A::Stop,
            resource_type: "workspace_build",
            resource_id: Some(Uuid::new_v4()),
            target: "dev",
            build_reason: Some(BuildReason::Autostop),
            status: 200,
            request_id: None,
        },
        Seed {
            name: "r4",
            time: day(4, 8, 0, 0),
            user: Some(uuid(&bob_id)),
            org: Some(b),
            action: A::Delete,
            resource_type: "template",
            resource_id: Some(Uuid::new_v4()),
            target: "docker",
            build_reason: None,
            status: 403,
            request_id: None,
        },
        Seed {
            name: "r5",
            time: day(5, 8, 0, 0),
            user: Some(uuid(&admin_id)),
            org: None,
            action: A::Create,
            resource_type: "license",
            resource_id: None,
            target: "",
            build_reason: None,
            status: 200,
            request_id: None,
        },
        Seed {
            name: "r6",
            time: day(6, 8, 0, 0),
            user: Some(uuid(&admin_id)),
            org: None,
            action: A::Login,
            resource_type: "api_key",
            resource_id: None,
            target: "admin",
            build_reason: None,
            status: 200,
            request_id: None,
        },
    ];
    let mut rows = Vec::new();
    for seed in &seeds {
        rows.push((seed.name, insert(&app, seed).await));
    }
    Fixture {
        app,
        token,
        org_a,
        org_b,
        alice,
        auditor,
        org_auditor_a,
        org_admin_b,
        member,
        rows,
        w1,
        q1,
    }
}

impl Fixture {
    async fn logs(&self, filter: &str, token: &str) -> GqlResponse {
        self.app
            .gql(LOGS, json!({ "f": filter }), Some(token))
            .await
    }

    /// The names of the rows `filter` lists for `token`, newest first, checking that the
    /// total agrees.
    async fn names(&self, filter: &str, token: &str) -> Vec<&'static str> {
        let response = self.logs(filter, token).await;
        let page = &response.data()["auditLogs"];
        let names: Vec<&'static str> = page["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| {
                let id = Uuid::parse_str(node["id"].as_str().expect("id")).expect("uuid");
                self.rows
                    .iter()
                    .find(|(_, row)| *row == id)
                    .map(|(name, _)| *name)
                    .expect("a seeded row")
            })
            .collect();
        assert_eq!(page["totalCount"], names.len(), "{filter:?}");
        names
    }
}

#[tokio::test]
async fn each_search_key_selects_its_rows() {
    let f = fixture(&[]).await;
    let t = f.token.as_str();
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("".into(), vec!["r6", "r5", "r4", "r3", "r2", "r1"]),
        ("resource_type:workspace_build".into(), vec!["r3", "r2"]),
        // A bare word is a resource type; the query is lower-cased.
        ("Workspace_Build".into(), vec!["r3", "r2"]),
        (format!("resource_id:{}", f.w1), vec!["r1"]),
        ("resource_target:dev".into(), vec!["r3", "r2", "r1"]),
        ("resource_target:docker".into(), vec!["r4"]),
        ("action:create".into(), vec!["r5", "r1"]),
        ("username:alice".into(), vec!["r2", "r1"]),
        ("username:ALICE".into(), vec!["r2", "r1"]),
        ("username:me".into(), vec!["r6", "r5"]),
        ("username:nobody".into(), vec![]),
        ("email:Alice@Example.com".into(), vec!["r2", "r1"]),
        ("email:nobody@example.com".into(), vec![]),
        ("username:alice email:bob@example.com".into(), vec![]),
        ("build_reason:autostop".into(), vec!["r3"]),
        ("build_reason:initiator".into(), vec!["r2"]),
        (format!("organization:{}", f.org_a), vec!["r3", "r2", "r1"]),
        ("organization:orgb".into(), vec!["r4"]),
        ("date_from:2024-03-03".into(), vec!["r6", "r5", "r4", "r3"]),
        // date_to covers its whole day.
        ("date_to:2024-03-02".into(), vec!["r2", "r1"]),
        ("date_from:2024-03-02 date_to:2024-03-02".into(), vec!["r2"]),
        (format!("request_id:{}", f.q1), vec!["r1"]),
        (
            format!("organization:{} action:start workspace_build", f.org_a),
            vec!["r2"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(f.names(&filter, t).await, expected, "{filter:?}");
    }
    // `me` is the caller.
    assert_eq!(f.names("username:me", &f.alice).await, Vec::<&str>::new());

    // The fields of an entry.
    let response = f.logs(&format!("resource_id:{}", f.w1), t).await;
    let node = &response.data()["auditLogs"]["nodes"][0];
    assert_eq!(node["action"], "CREATE");
    assert_eq!(node["resourceType"], "workspace");
    assert_eq!(node["resourceTarget"], "dev");
    assert_eq!(node["user"]["username"], "alice");
    assert_eq!(node["organization"]["name"], "default");
    assert_eq!(node["diff"]["name"]["new"], "dev");
    assert_eq!(node["statusCode"], 200);
    assert_eq!(node["ip"], "10.0.0.1");
    assert_eq!(node["userAgent"], "curl/8");
    assert_eq!(node["requestId"], f.q1.to_string());
    assert_eq!(node["buildReason"], Value::Null);
    assert!(
        node["time"]
            .as_str()
            .is_some_and(|t| t.starts_with("2024-03-01T10:00:00")),
        "{node}"
    );
    let response = f.logs("build_reason:autostop", t).await;
    let node = &response.data()["auditLogs"]["nodes"][0];
    assert_eq!(node["buildReason"], "AUTOSTOP");
    assert_eq!(node["action"], "STOP");
    // The system acted: no user.
    assert_eq!(node["user"], Value::Null);
    let response = f.logs("resource_type:license", t).await;
    assert_eq!(
        response.data()["auditLogs"]["nodes"][0]["organization"],
        Value::Null
    );
}

#[tokio::test]
async fn a_page_reads_its_actors_in_its_own_statement() {
    let f = fixture(&[]).await;
    let query = "{ auditLogs(limit: 4) { totalCount \
        nodes { user { username } organization { name } } } }";
    // The first read of an organization costs a statement; the process then remembers it.
    f.app.gql(query, json!({}), Some(&f.token)).await.data();
    let before = f.app.statements().await;
    let response = f.app.gql(query, json!({}), Some(&f.token)).await;
    let spent = f.app.statements().await - before;
    let page = &response.data()["auditLogs"];
    let shown: Vec<(Value, Value)> = page["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| {
            (
                node["user"]["username"].clone(),
                node["organization"]["name"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (json!("admin"), Value::Null),
            (json!("admin"), Value::Null),
            (json!("bob"), json!("orgb")),
            (Value::Null, json!("default")),
        ]
    );
    assert_eq!(page["totalCount"], 6);
    let expected = if f.app.database_url().starts_with("postgres") {
        1
    } else {
        2
    };
    assert_eq!(spent, expected, "the page with its actors and its count");
}

#[tokio::test]
async fn search_errors_use_coders_texts() {
    let f = fixture(&[]).await;
    let cases = [
        (
            ":foo",
            "q",
            r#"Query element ":foo" cannot start or end with ':'"#,
        ),
        (
            "action:create:x",
            "q",
            r#"Query element "action:create:x" can only contain 1 ':'"#,
        ),
        ("foo:bar", "foo", r#""foo" is not a valid query param"#),
        (
            "action:create action:write",
            "action",
            r#"Query param "action" provided more than once, found 2 times. Only provide 1 instance of this query param."#,
        ),
        (
            "resource_type:x",
            "resource_type",
            r#"Query param "resource_type" has invalid value: "x" is not a valid value"#,
        ),
        (
            "workspaces",
            "resource_type",
            r#"Query param "resource_type" has invalid value: "workspaces" is not a valid value"#,
        ),
        (
            "action:explode",
            "action",
            r#"Query param "action" has invalid value: "explode" is not a valid value"#,
        ),
        (
            "build_reason:manual",
            "build_reason",
            r#"Query param "build_reason" has invalid value: "manual" is not a valid value"#,
        ),
        (
            "resource_id:abc",
            "resource_id",
            r#"Query param "resource_id" must be a valid uuid"#,
        ),
        (
            "request_id:abc",
            "request_id",
            r#"Query param "request_id" must be a valid uuid"#,
        ),
        (
            "date_from:2024",
            "date_from",
            r#"Query param "date_from" must be a valid date format (2006-01-02): parsing time "2024" as "2006-01-02": cannot parse "" as "-""#,
        ),
        (
            "date_to:2024-13-01",
            "date_to",
            r#"Query param "date_to" must be a valid date format (2006-01-02): parsing time "2024-13-01": month out of range"#,
        ),
        (
            "organization:nope",
            "organization",
            r#"Query param "organization" has invalid value: organization "nope" either does not exist, or you are unauthorized to view it"#,
        ),
    ];
    for (filter, field, detail) in cases {
        let response = f.logs(filter, &f.token).await;
        assert_invalid(&response, field, detail);
        assert_eq!(
            response.body["errors"][0]["message"], "Invalid audit search query.",
            "{filter:?}"
        );
    }
    // Every problem at once, the organization in its key's place.
    let response = f
        .logs("zzz:1 action:x organization:nope date_to:x", &f.token)
        .await;
    let fields: Vec<&str> = response
        .validations()
        .iter()
        .map(|v| v["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["date_to", "organization", "action", "zzz"]);
    // A member cannot name an organization it may not read.
    assert_invalid(
        &f.logs("organization:orgb", &f.member).await,
        "organization",
        r#"Query param "organization" has invalid value: organization "orgb" either does not exist, or you are unauthorized to view it"#,
    );
    // Paging errors.
    let bad = f
        .app
        .gql(LOGS, json!({ "f": "", "limit": 1001 }), Some(&f.token))
        .await;
    assert_eq!(bad.error_code(), "BAD_USER_INPUT");
    assert_eq!(bad.validations()[0]["field"], "limit");
    let mixed = f
        .app
        .gql(
            LOGS,
            json!({ "f": "", "offset": 1, "first": 2 }),
            Some(&f.token),
        )
        .await;
    assert_eq!(mixed.error_code(), "BAD_USER_INPUT");
    let cursor = f
        .app
        .gql(
            LOGS,
            json!({ "f": "", "first": 2, "after": "nonsense" }),
            Some(&f.token),
        )
        .await;
    assert_invalid(&cursor, "after", "not a cursor of this list");
}

#[tokio::test]
async fn owners_and_auditors_read_all_organization_roles_their_organizations_members_nothing() {
    let f = fixture(&[]).await;
    let all = ["r6", "r5", "r4", "r3", "r2", "r1"];
    assert_eq!(f.names("", &f.token).await, all);
    assert_eq!(f.names("", &f.auditor).await, all);
    // Organization roles see their organizations' rows, never site-wide ones.
    assert_eq!(f.names("", &f.org_auditor_a).await, ["r3", "r2", "r1"]);
    assert_eq!(f.names("", &f.org_admin_b).await, ["r4"]);
    assert_eq!(
        f.names(&format!("organization:{}", f.org_b), &f.org_auditor_a)
            .await,
        Vec::<&str>::new()
    );
    // Members get an empty page, not an error.
    let empty = f.logs("", &f.member).await;
    assert_eq!(empty.data()["auditLogs"]["nodes"], json!([]));
    assert_eq!(empty.data()["auditLogs"]["totalCount"], 0);
    assert_eq!(f.names("", &f.alice).await, Vec::<&str>::new());
    // No token, no log.
    let anonymous = f.app.gql(LOGS, json!({ "f": "" }), None).await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn without_the_audit_log_feature_the_log_is_refused() {
    let app = TestApp::spawn_with(&["--provisioner-daemons", "0"]).await;
    let token = app.create_first_user().await;
    for filter in ["", "resource_type:nonsense"] {
        let refused = app.gql(LOGS, json!({ "f": filter }), Some(&token)).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{filter:?}");
        assert_eq!(
            refused.body["errors"][0]["message"],
            "Audit Log is a licensed feature: your deployment is not entitled to it."
        );
    }
}

#[tokio::test]
async fn pages_by_offset_and_cursor_with_a_capped_count() {
    let f = fixture(&["--audit-log-count-cap", "3"]).await;
    let names = |page: &Value| -> Vec<Uuid> {
        page["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| Uuid::parse_str(n["id"].as_str().expect("id")).expect("uuid"))
            .collect()
    };
    let all = f
        .app
        .gql(LOGS, json!({ "f": "", "limit": 10 }), Some(&f.token))
        .await;
    let all = &all.data()["auditLogs"];
    assert_eq!(all["totalCount"], 4, "capped at countCap + 1");
    assert_eq!(all["countCap"], 3);
    let order = names(all);
    assert_eq!(order.len(), 6);

    // Offset pages.
    let second = f
        .app
        .gql(
            LOGS,
            json!({ "f": "", "offset": 2, "limit": 2 }),
            Some(&f.token),
        )
        .await;
    let second = &second.data()["auditLogs"];
    assert_eq!(names(second), order[2..4]);
    assert_eq!(second["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(second["totalCount"], 4);
    let last = f
        .app
        .gql(
            LOGS,
            json!({ "f": "", "offset": 4, "limit": 2 }),
            Some(&f.token),
        )
        .await;
    let last = &last.data()["auditLogs"];
    assert_eq!(names(last), order[4..]);
    assert_eq!(last["pageInfo"]["hasNextPage"], false);
    // An uncapped filter counts exactly.
    let few = f
        .app
        .gql(
            LOGS,
            json!({ "f": "resource_target:dev", "offset": 1, "limit": 1 }),
            Some(&f.token),
        )
        .await;
    assert_eq!(few.data()["auditLogs"]["totalCount"], 3);

    // Cursor pages of two walk the same order without gaps or repeats.
    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = f
            .app
            .gql(
                LOGS,
                json!({ "f": "", "first": 2, "after": after }),
                Some(&f.token),
            )
            .await;
        let page = &page.data()["auditLogs"];
        let edges = page["edges"].as_array().expect("edges");
        assert_eq!(
            edges.last().map(|e| e["cursor"].clone()),
            Some(page["pageInfo"]["endCursor"].clone()).filter(|c| !c.is_null())
        );
        walked.extend(names(page));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(walked, order);

    // Rows at the same instant are ordered by id, so pages stay stable.
    let time = Utc::now();
    let mut tied = Vec::new();
    for _ in 0..3 {
        tied.push(
            insert(
                &f.app,
                &Seed {
                    name: "tie",
                    time,
                    user: None,
                    org: None,
                    action: audit_log::AuditAction::Write,
                    resource_type: "group",
                    resource_id: None,
                    target: "tie",
                    build_reason: None,
                    status: 200,
                    request_id: None,
                },
            )
            .await,
        );
    }
    tied.sort();
    tied.reverse();
    let ties = f
        .app
        .gql(LOGS, json!({ "f": "resource_target:tie" }), Some(&f.token))
        .await;
    assert_eq!(names(&ties.data()["auditLogs"]), tied);
}

#[tokio::test]
async fn retention_purges_old_entries_and_keeps_new_ones() {
    use devplane::scheduler::{RunOutcome, Scheduler, purge::PurgeJob};
    let app = TestApp::spawn_with(&["--provisioner-daemons", "0"]).await;
    app.create_first_user().await;
    clear(&app).await;
    let now = app.clock.now();
    let seed = |name, age: i64, action| Seed {
        name,
        time: now - Duration::days(age),
        user: None,
        org: None,
        action,
        resource_type: "workspace",
        resource_id: None,
        target: name,
        build_reason: None,
        status: 200,
        request_id: None,
    };
    use audit_log::AuditAction as A;
    for row in [
        seed("old", 40, A::Create),
        seed("older", 400, A::Delete),
        seed("new", 10, A::Write),
        // Connection events keep their own 90 days.
        seed("connection", 40, A::Connect),
    ] {
        insert(&app, &row).await;
    }
    let purged = prometheus::IntCounterVec::new(prometheus::Opts::new("purged", "test"), &["type"])
        .expect("counter");
    let mut scheduler = Scheduler::new(app.db.clone());
    scheduler.register(std::sync::Arc::new(PurgeJob {
        connection_log_retention: None,
        audit_log_retention: Some(Duration::days(30)),
        purged: purged.clone(),
    }));
    assert_eq!(
        scheduler.tick(now).await,
        vec![("connection-log-purge", RunOutcome::Ran)]
    );
    let mut left: Vec<String> = audit_log::Entity::find()
        .all(&app.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|r| r.resource_target)
        .collect();
    left.sort();
    assert_eq!(left, ["connection", "new"]);
    assert_eq!(purged.with_label_values(&["audit_logs"]).get(), 2);

    // Without a retention nothing goes (beyond connection events past 90 days).
    let mut keep = Scheduler::new(app.db.clone());
    keep.register(std::sync::Arc::new(PurgeJob {
        connection_log_retention: None,
        audit_log_retention: None,
        purged: purged.clone(),
    }));
    keep.tick(now + Duration::days(30)).await;
    assert_eq!(
        audit_log::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        2
    );
}

#[tokio::test]
async fn the_server_purges_with_its_configured_retention() {
    let app = TestApp::spawn_with(&[
        "--provisioner-daemons",
        "0",
        "--audit-logs-retention",
        "30d",
    ])
    .await;
    app.create_first_user().await;
    clear(&app).await;
    let now = app.clock.now();
    for (name, age) in [("old", 31), ("new", 29)] {
        insert(
            &app,
            &Seed {
                name,
                time: now - Duration::days(age),
                user: None,
                org: None,
                action: audit_log::AuditAction::Write,
                resource_type: "template",
                resource_id: None,
                target: name,
                build_reason: None,
                status: 200,
                request_id: None,
            },
        )
        .await;
    }
    // Past the purge job's interval, so that it is due whatever already ran.
    app.clock.set(now + Duration::minutes(11));
    app.tick().await;
    let left: Vec<String> = audit_log::Entity::find()
        .all(&app.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|r| r.resource_target)
        .collect();
    assert_eq!(left, ["new"]);
}

#[tokio::test]
async fn the_cli_lists_the_log() {
    let f = fixture(&[]).await;
    let run = |args: Vec<String>| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
            .args(args)
            .output()
            .await
            .expect("runs")
    };
    let args = |filter: &str, output: &str| {
        [
            "auditlog",
            "list",
            "--filter",
            filter,
            "--limit",
            "1000",
            "--output",
            output,
            "--url",
            &f.app.address,
            "--token",
            &f.token,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let output = run(args("workspace_build", "table")).await;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.starts_with("TIME"), "{text}");
    assert!(
        text.contains("workspace_build") && text.contains("start") && text.contains("alice"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("2 entries in all"), "{text}");

    let json_out = run(args("action:delete", "json")).await;
    assert!(json_out.status.success());
    let page: Value = serde_json::from_slice(&json_out.stdout).expect("JSON");
    assert_eq!(page["totalCount"], 1);
    assert_eq!(page["nodes"][0]["resourceTarget"], "docker");
    assert_eq!(page["nodes"][0]["statusCode"], 403);

    let bad = run(args("action:explode", "table")).await;
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("BAD_USER_INPUT") && stderr.contains("\"explode\" is not a valid value"),
        "{stderr}"
    );
}

#[tokio::test]
async fn rows_the_mutations_write_are_searchable() {
    let app = TestApp::spawn_with(&["--provisioner-daemons", "0"]).await;
    let token = app.create_first_user().await;
    app.install_premium_license(&token).await;
    let (carol_id, _) = app.create_user(&token, "carol", &[]).await;
    let response = app
        .gql(
            LOGS,
            json!({ "f": format!("user action:create resource_id:{carol_id} username:me") }),
            Some(&token),
        )
        .await;
    let page = &response.data()["auditLogs"];
    assert_eq!(page["totalCount"], 1, "{page}");
    let node = &page["nodes"][0];
    assert_eq!(node["resourceTarget"], "carol");
    assert_eq!(node["user"]["username"], "admin");
    assert_eq!(node["statusCode"], 200);
}
