//! The connection log end to end: agents report with their token, the upsert rules of
//! docs/rules/connection-log.md, filters, authorization in SQL, paging and the count.

use chrono::{DateTime, Duration, Utc};
use devplane::clock::Clock;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::TestApp,
    helpers::{MAIN_TF, create_template, run_jobs, setup},
    hostile_input::assert_invalid,
};

const LOGS: &str = "query($f: String!, $limit: Int, $first: Int, $after: String) { connectionLogs(filter: $f, limit: $limit, first: $first, after: $after) {
  totalCount countCap pageInfo { hasNextPage endCursor }
  nodes { id connectTime type agentName workspaceName ip organization { name } workspaceOwner { username }
          sshInfo { connectionId disconnectTime disconnectReason exitCode } webInfo { userAgent statusCode slugOrPort user { username } } } } }";
const REPORT: &str =
    "mutation($input: ReportConnectionInput!) { reportConnection(input: $input) { recorded } }";

struct Fixture {
    app: TestApp,
    token: String,
    org: String,
    agent_token: String,
    agent_id: String,
}

/// A licensed deployment with one running workspace (`dev`, agent `main`) and its token.
async fn fixture(extra: &[&str]) -> Fixture {
    let app = if extra.is_empty() {
        setup().await.0
    } else {
        let mut args = vec!["--provisioner-daemons", "0"];
        args.extend_from_slice(extra);
        TestApp::spawn_with(&args).await
    };
    let token = if extra.is_empty() {
        app.login("admin@example.com", "admin-password").await
    } else {
        app.create_first_user().await
    };
    let org = app.default_org(&token).await;
    app.install_premium_license(&token).await;
    let (template, _) = create_template(&app, &token, &org, "docker", MAIN_TF, json!({})).await;
    let created = app
        .gql(
            "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
            json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
            Some(&token),
        )
        .await;
    let ws = created.data()["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    run_jobs(&app).await;
    let agents = app
        .gql(
            "query($id: UUID!) { workspace(id: $id) { agents { id } } }",
            json!({ "id": ws }),
            Some(&token),
        )
        .await;
    let agent_id = agents.data()["workspace"]["agents"][0]["id"]
        .as_str()
        .expect("agent")
        .to_owned();
    let issued = app
        .gql(
            "mutation($id: UUID!) { createWorkspaceAgentToken(agentId: $id) { token } }",
            json!({ "id": agent_id }),
            Some(&token),
        )
        .await;
    let agent_token = issued.data()["createWorkspaceAgentToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    Fixture {
        app,
        token,
        org,
        agent_token,
        agent_id,
    }
}

impl Fixture {
    async fn report(&self, input: Value) -> Value {
        self.app
            .agent_gql(&self.agent_token, REPORT, json!({ "input": input }))
            .await
            .body
    }

    async fn logs(&self, filter: &str, token: &str) -> crate::helpers::GqlResponse {
        self.app
            .gql(LOGS, json!({ "f": filter }), Some(token))
            .await
    }
}

fn at(base: DateTime<Utc>, seconds: i64) -> String {
    (base + Duration::seconds(seconds)).to_rfc3339()
}

#[tokio::test]
async fn the_upsert_keeps_one_row_per_session() {
    let f = fixture(&[]).await;
    let t = f.app.clock.now() - Duration::hours(1);
    let session = |n: u128| Uuid::from_u128(n).to_string();
    // connect then disconnect.
    f.report(json!({ "connectionId": session(1), "action": "CONNECT", "type": "SSH", "time": at(t, 0), "ip": "localhost" })).await;
    f.report(json!({ "connectionId": session(1), "action": "DISCONNECT", "type": "SSH", "time": at(t, 1), "reason": "test disconnect", "statusCode": 1 })).await;
    // connect twice.
    f.report(json!({ "connectionId": session(2), "action": "CONNECT", "type": "VSCODE", "time": at(t, 10), "ip": "10.0.0.2" })).await;
    f.report(json!({ "connectionId": session(2), "action": "CONNECT", "type": "VSCODE", "time": at(t, 11), "ip": "10.0.0.3" })).await;
    // disconnect only, then a late connect and a second disconnect: both change nothing.
    f.report(json!({ "connectionId": session(3), "action": "DISCONNECT", "type": "JETBRAINS", "time": at(t, 20), "reason": "server shutting down", "ip": "not-an-ip" })).await;
    f.report(json!({ "connectionId": session(3), "action": "CONNECT", "type": "JETBRAINS", "time": at(t, 21), "reason": "reconnected" })).await;
    f.report(json!({ "connectionId": session(3), "action": "DISCONNECT", "type": "JETBRAINS", "time": at(t, 22), "reason": "updated close reason", "statusCode": 9 })).await;

    let response = f.logs("", &f.token).await;
    let page = &response.data()["connectionLogs"];
    assert_eq!(page["totalCount"], 3);
    let nodes = page["nodes"].as_array().expect("nodes");
    // Newest first.
    let (third, second, first) = (&nodes[0], &nodes[1], &nodes[2]);
    assert_eq!(first["ip"], "127.0.0.1");
    assert_eq!(
        first["connectTime"].as_str().map(|s| &s[..19]),
        Some(&at(t, 0)[..19])
    );
    assert_eq!(first["sshInfo"]["disconnectReason"], "test disconnect");
    assert_eq!(first["sshInfo"]["exitCode"], 1);
    assert_eq!(first["agentName"], "main");
    assert_eq!(first["workspaceName"], "dev");
    assert_eq!(first["workspaceOwner"]["username"], "admin");
    assert_eq!(first["webInfo"], Value::Null);
    assert_eq!(second["ip"], "10.0.0.2", "a second connect changes nothing");
    assert_eq!(second["sshInfo"]["disconnectTime"], Value::Null);
    assert_eq!(second["sshInfo"]["exitCode"], Value::Null);
    assert_eq!(third["ip"], Value::Null, "unparsable IPs are dropped");
    assert_eq!(
        third["connectTime"], third["sshInfo"]["disconnectTime"],
        "immediately closed"
    );
    assert_eq!(
        third["sshInfo"]["disconnectReason"], "server shutting down",
        "the first reason is kept"
    );
    assert_eq!(
        third["sshInfo"]["exitCode"], 0,
        "the first disconnect's code (0 when not given) is kept"
    );

    // Web events always make new rows, with their requester.
    for _ in 0..2 {
        f.app
            .gql(
                "mutation($input: ReportWebConnectionInput!) { reportWebConnection(input: $input) { recorded } }",
                json!({ "input": { "agentId": f.agent_id, "type": "WORKSPACE_APP", "time": at(t, 30), "ip": "10.1.1.1",
                        "userId": null, "userAgent": "curl/8", "slugOrPort": "code-server", "statusCode": 0 } }),
                Some(&f.token),
            )
            .await
            .data();
    }
    let web = f.logs("type:workspace_app", &f.token).await;
    let web = &web.data()["connectionLogs"];
    assert_eq!(web["totalCount"], 2);
    assert_eq!(
        web["nodes"][0]["webInfo"],
        json!({ "userAgent": "curl/8", "statusCode": 200, "slugOrPort": "code-server", "user": null })
    );
    assert_eq!(web["nodes"][0]["sshInfo"], Value::Null);

    // Connection events never reach the audit log.
    use devplane::entity::audit_log::{self, AuditAction};
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    assert_eq!(
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.is_in([
                AuditAction::Connect,
                AuditAction::Disconnect,
                AuditAction::Open,
                AuditAction::Close,
            ]))
            .count(&f.app.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn a_batch_records_what_the_same_events_record_one_by_one() {
    let f = fixture(&[]).await;
    let t = f.app.clock.now() - Duration::hours(1);
    // The upsert sequences for sessions 1-4; session 4 was opened before the batch.
    let events = |base: u128| {
        let s = |n: u128| Uuid::from_u128(base + n).to_string();
        vec![
            json!({ "connectionId": s(1), "action": "CONNECT", "type": "SSH", "time": at(t, 0), "ip": "localhost" }),
            json!({ "connectionId": s(2), "action": "CONNECT", "type": "VSCODE", "time": at(t, 1), "ip": "10.0.0.2" }),
            json!({ "connectionId": s(1), "action": "DISCONNECT", "type": "SSH", "time": at(t, 2), "reason": "closed", "statusCode": 1 }),
            json!({ "connectionId": s(2), "action": "CONNECT", "type": "VSCODE", "time": at(t, 3), "ip": "10.0.0.3" }),
            json!({ "connectionId": s(3), "action": "DISCONNECT", "type": "JETBRAINS", "time": at(t, 4), "reason": "first" }),
            json!({ "connectionId": s(3), "action": "CONNECT", "type": "JETBRAINS", "time": at(t, 5) }),
            json!({ "connectionId": s(3), "action": "DISCONNECT", "type": "JETBRAINS", "time": at(t, 6), "reason": "second", "statusCode": 9 }),
            json!({ "connectionId": s(4), "action": "DISCONNECT", "type": "SSH", "time": at(t, 8), "reason": "late" }),
        ]
    };
    let opened = |base: u128| json!({ "connectionId": Uuid::from_u128(base + 4).to_string(), "action": "CONNECT", "type": "SSH", "time": at(t, 7) });
    f.report(opened(0)).await;
    for event in events(0) {
        f.report(event).await;
    }
    f.report(opened(100)).await;
    let batch = f
        .app
        .agent_gql(
            &f.agent_token,
            "mutation($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }",
            json!({ "input": events(100) }),
        )
        .await;
    assert_eq!(batch.data()["reportConnections"]["recorded"], 8);

    let response = f.logs("", &f.token).await;
    let page = &response.data()["connectionLogs"];
    assert_eq!(page["totalCount"], 8);
    let session = |node: &Value| {
        let id = node["sshInfo"]["connectionId"].as_str().expect("session");
        Uuid::parse_str(id).expect("uuid").as_u128()
    };
    let comparable = |node: &Value| {
        let mut node = node.clone();
        node["id"] = Value::Null;
        node["sshInfo"]["connectionId"] = Value::Null;
        node
    };
    let nodes = page["nodes"].as_array().expect("nodes");
    for n in 1..=4 {
        let one_by_one = nodes.iter().find(|node| session(node) == n).expect("row");
        let batched = nodes
            .iter()
            .find(|node| session(node) == 100 + n)
            .expect("row");
        assert_eq!(comparable(one_by_one), comparable(batched), "session {n}");
    }
    let by = |n| nodes.iter().find(|node| session(node) == n).expect("row");
    assert_eq!(by(101)["sshInfo"]["disconnectReason"], "closed");
    assert_eq!(by(102)["ip"], "10.0.0.2");
    assert_eq!(by(103)["sshInfo"]["disconnectReason"], "first");
    assert_eq!(by(103)["sshInfo"]["exitCode"], 0);
    assert_eq!(by(104)["sshInfo"]["disconnectReason"], "late");
    assert_eq!(by(104)["connectTime"], by(4)["connectTime"]);
}

#[tokio::test]
async fn agents_need_their_token_and_report_valid_events() {
    let f = fixture(&[]).await;
    let as_user = f
        .app
        .gql(REPORT, json!({ "input": { "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": at(Utc::now(), 0) } }), Some(&f.token))
        .await;
    assert_eq!(as_user.error_code(), "UNAUTHENTICATED");
    let web = f.report(json!({ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "PORT_FORWARDING", "time": at(Utc::now(), 0) })).await;
    assert_eq!(web["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        web["errors"][0]["extensions"]["validations"][0]["field"],
        "input[0].type"
    );
    let bad = f
        .app
        .agent_gql("wrong", REPORT, json!({ "input": { "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": at(Utc::now(), 0) } }))
        .await;
    assert_eq!(bad.status, reqwest::StatusCode::UNAUTHORIZED);
    // Batches are capped; a refused batch records nothing.
    let event = |_| json!({ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": at(Utc::now(), 0) });
    let batch = "mutation($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }";
    let send = |n: usize| {
        let events: Vec<Value> = (0..n).map(event).collect();
        f.app
            .agent_gql(&f.agent_token, batch, json!({ "input": events }))
    };
    let too_many = send(1001).await;
    assert_eq!(too_many.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        too_many.validations()[0],
        json!({ "field": "input", "detail": "at most 1000 events per call, got 1001" })
    );
    let most = send(1000).await;
    assert_eq!(most.data()["reportConnections"]["recorded"], 1000);
    let logs = f
        .app
        .gql(
            "{ connectionLogs(limit: 1) { totalCount countCap } }",
            json!({}),
            Some(&f.token),
        )
        .await;
    assert_eq!(logs.data()["connectionLogs"]["totalCount"], 1000);
}

#[tokio::test]
async fn filters_authorization_and_license() {
    let f = fixture(&[]).await;
    let t = f.app.clock.now() - Duration::hours(2);
    for (n, kind, disconnect) in [
        (1u128, "SSH", true),
        (2, "SSH", false),
        (3, "VSCODE", false),
    ] {
        let id = Uuid::from_u128(n).to_string();
        f.report(json!({ "connectionId": id, "action": "CONNECT", "type": kind, "time": at(t, n as i64) })).await;
        if disconnect {
            f.report(json!({ "connectionId": id, "action": "DISCONNECT", "type": kind, "time": at(t, 100), "statusCode": 0 })).await;
        }
    }
    let count = |r: &crate::helpers::GqlResponse| {
        r.data()["connectionLogs"]["totalCount"]
            .as_i64()
            .expect("count")
    };
    assert_eq!(count(&f.logs("type:ssh", &f.token).await), 2);
    assert_eq!(count(&f.logs("type:ssh status:ongoing", &f.token).await), 1);
    assert_eq!(count(&f.logs("status:completed", &f.token).await), 1);
    assert_eq!(
        count(
            &f.logs("organization:default workspace_owner:me", &f.token)
                .await
        ),
        3
    );
    assert_eq!(
        count(
            &f.logs("workspace_owner_email:ADMIN@example.com", &f.token)
                .await
        ),
        3
    );
    assert_eq!(
        count(
            &f.logs(&format!("connection_id:{}", Uuid::from_u128(3)), &f.token)
                .await
        ),
        1
    );
    assert_eq!(
        count(
            &f.logs(&format!("connected_after:\"{}\"", at(t, 2)), &f.token)
                .await
        ),
        2
    );
    assert_eq!(count(&f.logs("workspace_owner:nobody", &f.token).await), 0);

    let bad = f.logs("type:telnet foo:bar", &f.token).await;
    assert_eq!(bad.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        bad.body["errors"][0]["message"],
        "Invalid connection search query."
    );
    assert_eq!(
        bad.validations()[0]["detail"],
        "Query param \"type\" has invalid value: \"telnet\" is not a valid value"
    );
    assert_eq!(
        bad.validations()[1]["detail"],
        "\"foo\" is not a valid query param"
    );
    let nope = f.logs("organization:nope", &f.token).await;
    assert_eq!(
        nope.validations()[0]["detail"],
        "Query param \"organization\" has invalid value: organization \"nope\" either does not exist, or you are unauthorized to view it"
    );

    // Members see nothing (not an error); site auditors see all; organization auditors their orgs.
    let (_, member) = f.app.create_user(&f.token, "dev", &[]).await;
    let empty = f.logs("", &member).await;
    assert_eq!(empty.data()["connectionLogs"]["totalCount"], 0);
    assert_eq!(empty.data()["connectionLogs"]["nodes"], json!([]));
    let (_, auditor) = f.app.create_user(&f.token, "aud", &["AUDITOR"]).await;
    assert_eq!(count(&f.logs("", &auditor).await), 3);
    let (org_auditor_id, org_auditor) = f.app.create_user(&f.token, "orgaud", &[]).await;
    f.app
        .gql(
            "mutation($input: OrganizationMemberInput!) { updateOrganizationMemberRoles(input: $input) { roles } }",
            json!({ "input": { "organizationId": f.org, "userId": org_auditor_id, "roles": ["ORGANIZATION_AUDITOR"] } }),
            Some(&f.token),
        )
        .await
        .data();
    assert_eq!(count(&f.logs("", &org_auditor).await), 3);
    let other_org = f
        .app
        .gql(
            "mutation { createOrganization(input: {name: \"acme\"}) { id } }",
            json!({}),
            Some(&f.token),
        )
        .await;
    let other_org = other_org.data()["createOrganization"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        count(&f.logs(&format!("organization:{other_org}"), &f.token).await),
        0
    );
    // The member cannot see organization acme by name.
    let hidden = f.logs("organization:acme", &member).await;
    assert_eq!(hidden.error_code(), "BAD_USER_INPUT");

    // Without the license feature the log is refused.
    let licenses = f
        .app
        .gql("{ licenses { id } }", json!({}), Some(&f.token))
        .await;
    let id = licenses.data()["licenses"][0]["id"].clone();
    f.app
        .gql(
            "mutation($id: Int!) { deleteLicense(id: $id) { id } }",
            json!({ "id": id }),
            Some(&f.token),
        )
        .await
        .data();
    let unlicensed = f.logs("", &f.token).await;
    assert_eq!(unlicensed.error_code(), "FORBIDDEN");
    assert_eq!(
        unlicensed.body["errors"][0]["message"],
        "Connection Log is a licensed feature: your deployment is not entitled to it."
    );
    // The license gate comes before input checks, as in Coder.
    for (filter, limit) in [("type:telnet", json!(10)), ("", json!(-1))] {
        let refused = f
            .app
            .gql(LOGS, json!({ "f": filter, "limit": limit }), Some(&f.token))
            .await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{filter:?} {limit}");
    }
}

#[tokio::test]
async fn pages_by_offset_and_cursor_with_a_capped_count() {
    let f = fixture(&["--connection-log-count-cap", "3"]).await;
    let t = f.app.clock.now() - Duration::hours(3);
    // Five sessions, two at the same instant (the id breaks the tie).
    for n in 0..5u128 {
        let time = at(t, if n == 4 { 3 } else { n as i64 });
        f.report(json!({ "connectionId": Uuid::from_u128(n + 1), "action": "CONNECT", "type": "SSH", "time": time })).await;
    }
    let all = f
        .app
        .gql(LOGS, json!({ "f": "", "limit": 10 }), Some(&f.token))
        .await;
    let all = &all.data()["connectionLogs"];
    assert_eq!(all["totalCount"], 4, "capped at countCap + 1");
    assert_eq!(all["countCap"], 3);
    let ids: Vec<String> = all["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 5);

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
        let page = page.data()["connectionLogs"].clone();
        walked.extend(
            page["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["id"].as_str().expect("id").to_owned()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(walked, ids);
    // Offset pages agree.
    let second = f
        .app
        .gql(
            "query { connectionLogs(offset: 2, limit: 2) { nodes { id } } }",
            json!({}),
            Some(&f.token),
        )
        .await;
    let second: Vec<&str> = second.data()["connectionLogs"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("id"))
        .collect();
    assert_eq!(second, ids[2..4]);
    let too_big = f
        .app
        .gql(
            "query { connectionLogs(limit: 1001) { totalCount } }",
            json!({}),
            Some(&f.token),
        )
        .await;
    assert_eq!(too_big.error_code(), "BAD_USER_INPUT");
    let bad_cursor = f
        .app
        .gql(
            LOGS,
            json!({ "f": "", "first": 2, "after": "nonsense" }),
            Some(&f.token),
        )
        .await;
    assert_eq!(bad_cursor.error_code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn retention_purges_old_entries_and_old_audit_connection_events() {
    use devplane::{
        entity::{audit_log, connection_log},
        scheduler::{RunOutcome, Scheduler, purge::PurgeJob},
    };
    use sea_orm::{
        ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    };
    let f = fixture(&[]).await;
    let now = f.app.clock.now();
    for (n, age_days) in [(1u128, 100i64), (2, 40), (3, 1)] {
        let time = (now - Duration::days(age_days)).to_rfc3339();
        f.report(json!({ "connectionId": Uuid::from_u128(n), "action": "CONNECT", "type": "SSH", "time": time })).await;
    }
    for (action, age_days) in [
        (audit_log::AuditAction::Connect, 91),
        (audit_log::AuditAction::Close, 120),
        (audit_log::AuditAction::Connect, 10),
        (audit_log::AuditAction::Create, 400),
    ] {
        audit_log::ActiveModel {
            id: Set(Uuid::new_v4()),
            time: Set(now - Duration::days(age_days)),
            user_id: Set(None),
            organization_id: Set(None),
            action: Set(action),
            resource_type: Set("workspace_agent".into()),
            resource_id: Set(None),
            resource_target: Set(String::new()),
            diff: Set(json!({})),
            status_code: Set(200),
            ip: Set(None),
            user_agent: Set(String::new()),
            request_id: Set(String::new()),
            build_reason: Set(None),
        }
        .insert(&f.app.db)
        .await
        .expect("audit row");
    }
    let purged = prometheus::IntCounterVec::new(prometheus::Opts::new("purged", "test"), &["type"])
        .expect("counter");
    let mut scheduler = Scheduler::new(f.app.db.clone());
    scheduler.register(std::sync::Arc::new(PurgeJob {
        connection_log_retention: Some(Duration::days(30)),
        audit_log_retention: None,
        purged: purged.clone(),
    }));
    assert_eq!(
        scheduler.tick(now).await,
        vec![("connection-log-purge", RunOutcome::Ran)]
    );
    assert_eq!(
        connection_log::Entity::find()
            .count(&f.app.db)
            .await
            .expect("count"),
        1
    );
    assert_eq!(purged.with_label_values(&["connection_logs"]).get(), 2);
    // Only connection events past 90 days leave the audit log: the recent one and the
    // old creation stay, beside the rows the set-up's own mutations wrote.
    let kept: Vec<(audit_log::AuditAction, i64)> = audit_log::Entity::find()
        .filter(audit_log::Column::Time.lt(now - Duration::days(1)))
        .all(&f.app.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|row| (row.action, (now - row.time).num_days()))
        .collect();
    assert_eq!(
        kept.len(),
        2,
        "the 10-day connect and the 400-day create: {kept:?}"
    );
    assert_eq!(purged.with_label_values(&["audit_logs"]).get(), 2);
    // Not due again for 10 minutes.
    assert!(scheduler.tick(now + Duration::minutes(5)).await.is_empty());
    assert_eq!(scheduler.tick(now + Duration::minutes(10)).await.len(), 1);
}

#[tokio::test]
async fn the_cli_lists_the_log() {
    let f = fixture(&[]).await;
    let t = f.app.clock.now() - Duration::minutes(5);
    f.report(json!({ "connectionId": Uuid::from_u128(7), "action": "CONNECT", "type": "SSH", "time": at(t, 0), "ip": "10.9.8.7" })).await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
        .args([
            "connectionlog",
            "list",
            "--filter",
            "type:ssh",
            // The largest page is within the query complexity limit.
            "--limit",
            "1000",
            "--url",
            &f.app.address,
            "--token",
            &f.token,
        ])
        .output()
        .await
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.starts_with("TIME"), "{text}");
    assert!(
        text.contains("ssh") && text.contains("10.9.8.7") && text.contains("ongoing"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("1 entries in all"), "{text}");
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_devplane"))
        .args([
            "connectionlog",
            "list",
            "--filter",
            "type:telnet",
            "--url",
            &f.app.address,
            "--token",
            &f.token,
        ])
        .output()
        .await
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("BAD_USER_INPUT"));
}

#[tokio::test]
async fn agents_reports_are_cleaned_and_their_times_checked() {
    let f = fixture(&[]).await;
    let batch = "mutation($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }";
    let now = f.app.clock.now();
    let (nul, long) = (Uuid::new_v4(), Uuid::new_v4());
    let event = |id: Uuid, action: &str, reason: &str| json!({ "connectionId": id, "action": action, "type": "SSH", "time": now.to_rfc3339(), "reason": reason });
    // NULs are dropped and a megabyte reason is cut, rather than the whole batch refused.
    let recorded = f
        .app
        .agent_gql(
            &f.agent_token,
            batch,
            json!({ "input": [
                event(nul, "CONNECT", ""),
                event(nul, "DISCONNECT", "exit\u{0}ed"),
                event(long, "CONNECT", ""),
                event(long, "DISCONNECT", &"r".repeat(1024 * 1024)),
            ] }),
        )
        .await;
    assert_eq!(recorded.data()["reportConnections"]["recorded"], 4);
    let rows = devplane::entity::connection_log::Entity::find()
        .all(&f.app.db)
        .await
        .expect("rows");
    let reason = |id: Uuid| {
        rows.iter()
            .find(|r| r.connection_id == Some(id))
            .and_then(|r| r.disconnect_reason.clone())
            .expect("closed row")
    };
    assert_eq!(reason(nul), "exited");
    assert_eq!(reason(long), "r".repeat(1024));

    for time in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
        let refused = f
            .app
            .agent_gql(
                &f.agent_token,
                batch,
                json!({ "input": [{ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "SSH", "time": time }] }),
            )
            .await;
        assert_invalid(
            &refused,
            "input[0].time",
            "must be after 2000-01-01T00:00:00Z and at most a day ahead of the server's clock",
        );
    }
    let web = f
        .app
        .gql(
            "mutation($input: ReportWebConnectionInput!) { reportWebConnection(input: $input) { recorded } }",
            json!({ "input": { "agentId": f.agent_id, "type": "WORKSPACE_APP", "time": now.to_rfc3339(), "slugOrPort": "s".repeat(257), "statusCode": 200, "userAgent": "ua\u{0}" } }),
            Some(&f.token),
        )
        .await;
    assert_invalid(&web, "slugOrPort", "must be at most 256 characters");
    let rows_after = devplane::entity::connection_log::Entity::find()
        .all(&f.app.db)
        .await
        .expect("rows");
    assert_eq!(rows_after.len(), 2);
}
