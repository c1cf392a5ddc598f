//! Acceptance cases 20, 25, 37 and 38 of docs/rules/connection-log.md, end to end over
//! GraphQL: offset paging within an organization filter, every search error with its
//! exact text, the shape of SSH-like entries (open and closed), and the client IP.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use devplane::clock::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    connection_log_cases::{gql_ok, report, workspace_with_agent},
    helpers::{GqlResponse, TestApp},
    helpers::{MAIN_TF, create_template},
};

const NODE_FIELDS: &str = "id connectTime type ip organization { id name }
    sshInfo { connectionId disconnectTime disconnectReason exitCode }
    webInfo { userAgent statusCode slugOrPort user { username } }";

/// A licensed deployment with its owner's token.
async fn licensed() -> (TestApp, String) {
    let app = TestApp::spawn_with(&["--provisioner-daemons", "0"]).await;
    let admin = app.create_first_user().await;
    app.install_premium_license(&admin).await;
    (app, admin)
}

/// A licensed deployment with one running workspace in the default organization.
/// Returns (app, owner token, agent id, agent token).
async fn one_workspace() -> (TestApp, String, String, String) {
    let (app, admin) = licensed().await;
    let org = app.default_org(&admin).await;
    let (template, _) = create_template(&app, &admin, &org, "docker", MAIN_TF, json!({})).await;
    let (_, agent, agent_token) = workspace_with_agent(&app, &admin, &template, "ws", &admin).await;
    (app, admin, agent, agent_token)
}

/// Reports a batch of events with `reportConnections`; returns how many were recorded.
async fn report_batch(app: &TestApp, agent_token: &str, events: Vec<Value>) -> i64 {
    let response = app
        .agent_gql(
            agent_token,
            "mutation($input: [ReportConnectionInput!]!) { reportConnections(input: $input) { recorded } }",
            json!({ "input": events }),
        )
        .await;
    response.data()["reportConnections"]["recorded"]
        .as_i64()
        .expect("recorded")
}

/// Every entry (at most 100, the default page), newest first.
async fn all_nodes(app: &TestApp, token: &str, filter: &str) -> Vec<Value> {
    let query = format!(
        "query($f: String!) {{ connectionLogs(filter: $f, limit: 100) {{ totalCount nodes {{ {NODE_FIELDS} }} }} }}"
    );
    let page = gql_ok(app, token, &query, json!({ "f": filter })).await;
    let nodes = page["connectionLogs"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(page["connectionLogs"]["totalCount"], nodes.len());
    nodes
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("a time: {value}")))
        .unwrap_or_else(|e| panic!("{value}: {e}"))
        .to_utc()
}

fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a string: {value}"))
}

/// Case 20: 20 SSH entries in organization A and 10 in B, their times interleaved (and tied
/// in pairs within A); `organization:<A's name>` with limit 5, offset 10 is the 11th to 15th
/// newest entries of A, in `connect_time DESC, id DESC` order, with the count of A.
#[tokio::test]
async fn case_20_offset_page_within_an_organization_filter() {
    let (app, admin) = licensed().await;
    let orgs = gql_ok(
        &app,
        &admin,
        "{ organizations { id name isDefault } }",
        json!({}),
    )
    .await;
    let org_a = orgs["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .find(|o| o["isDefault"] == true)
        .expect("default organization")
        .clone();
    let (org_a_id, org_a_name) = (
        str_of(&org_a["id"]).to_owned(),
        str_of(&org_a["name"]).to_owned(),
    );
    let org_b_id = str_of(
        &gql_ok(
            &app,
            &admin,
            "mutation { createOrganization(input: {name: \"orgb\"}) { id } }",
            json!({}),
        )
        .await["createOrganization"]["id"],
    )
    .to_owned();
    let (template_a, _) =
        create_template(&app, &admin, &org_a_id, "docker", MAIN_TF, json!({})).await;
    let (template_b, _) =
        create_template(&app, &admin, &org_b_id, "docker", MAIN_TF, json!({})).await;
    let (_, _, token_a) = workspace_with_agent(&app, &admin, &template_a, "wsa", &admin).await;
    let (_, _, token_b) = workspace_with_agent(&app, &admin, &template_b, "wsb", &admin).await;

    let base = app.clock.now().trunc_subsecs(0) - Duration::hours(1);
    // A: minutes 0, 0, 2, 2, 4, 4, … (pairs share a time, so the id decides); B: odd minutes.
    let a_sessions: Vec<(Uuid, DateTime<Utc>)> = (0..20)
        .map(|i| (Uuid::new_v4(), base + Duration::minutes(2 * (i / 2))))
        .collect();
    let b_sessions: Vec<(Uuid, DateTime<Utc>)> = (0..10)
        .map(|i| (Uuid::new_v4(), base + Duration::minutes(2 * i + 1)))
        .collect();
    let connect = |(id, at): &(Uuid, DateTime<Utc>)| json!({ "connectionId": id, "action": "CONNECT", "type": "SSH", "time": at.to_rfc3339() });
    assert_eq!(
        report_batch(&app, &token_a, a_sessions.iter().map(connect).collect()).await,
        20
    );
    assert_eq!(
        report_batch(&app, &token_b, b_sessions.iter().map(connect).collect()).await,
        10
    );

    // A's entries, checked against what was reported, in the order the spec defines.
    let a_rows = all_nodes(&app, &admin, &format!("organization:{org_a_id}")).await;
    assert_eq!(a_rows.len(), 20);
    let mut expected: Vec<(DateTime<Utc>, String)> = a_rows
        .iter()
        .map(|n| {
            let session: Uuid = str_of(&n["sshInfo"]["connectionId"]).parse().expect("uuid");
            let (_, reported) = a_sessions
                .iter()
                .find(|(id, _)| *id == session)
                .unwrap_or_else(|| panic!("{session} was reported to organization A"));
            assert_eq!(time(&n["connectTime"]), *reported, "{n}");
            (*reported, str_of(&n["id"]).to_owned())
        })
        .collect();
    expected.sort_by(|x, y| y.cmp(x));
    let expected: Vec<String> = expected[10..15].iter().map(|(_, id)| id.clone()).collect();

    let query = format!(
        "query($f: String!) {{ connectionLogs(filter: $f, limit: 5, offset: 10) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage }} nodes {{ {NODE_FIELDS} }} }} }}"
    );
    let page = gql_ok(
        &app,
        &admin,
        &query,
        json!({ "f": format!("organization:{org_a_name}") }),
    )
    .await;
    let page = &page["connectionLogs"];
    assert_eq!(page["totalCount"], 20);
    assert_eq!(
        page["pageInfo"],
        json!({ "hasNextPage": true, "hasPreviousPage": true })
    );
    let nodes = page["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 5);
    for node in nodes {
        assert_eq!(
            node["organization"],
            json!({ "id": org_a_id, "name": org_a_name }),
            "{node}"
        );
        assert_eq!(node["type"], "SSH");
    }
    let got: Vec<String> = nodes.iter().map(|n| str_of(&n["id"]).to_owned()).collect();
    assert_eq!(got, expected, "the 11th to 15th newest of organization A");
}

/// The first error's validations as (field, detail) pairs, after checking the status, the
/// error's message and code.
fn search_validations(response: &GqlResponse, input: &str) -> Vec<(String, String)> {
    // Coder's HTTP 400 is a GraphQL error here: the request itself succeeds (200), the field
    // fails with BAD_USER_INPUT and `data` is null.
    assert_eq!(response.status, reqwest::StatusCode::OK, "{input}");
    assert_eq!(
        response.body["errors"][0]["message"], "Invalid connection search query.",
        "{input}: {}",
        response.body
    );
    assert_eq!(response.error_code(), "BAD_USER_INPUT", "{input}");
    assert_eq!(
        response.body["errors"].as_array().map(Vec::len),
        Some(1),
        "{input}: one error"
    );
    assert_eq!(
        response.body["data"],
        Value::Null,
        "{input}: no data: {}",
        response.body
    );
    response
        .validations()
        .iter()
        .map(|v| {
            assert_eq!(
                v.as_object().map(|o| o.len()),
                Some(2),
                "{input}: exactly field and detail: {v}"
            );
            (
                str_of(&v["field"]).to_owned(),
                str_of(&v["detail"]).to_owned(),
            )
        })
        .collect()
}

async fn search(app: &TestApp, token: &str, filter: &str) -> GqlResponse {
    app.gql(
        "query($f: String!) { connectionLogs(filter: $f) { totalCount nodes { id } } }",
        json!({ "f": filter }),
        Some(token),
    )
    .await
}

/// Case 25: each row of the search error table, one request per row.
#[tokio::test]
async fn case_25_every_search_error_has_its_exact_field_and_text() {
    let (app, admin) = licensed().await;
    let table: Vec<(String, String, String)> = serde_json::from_str(include_str!(
        "../fixtures/connection_log_search_errors.json"
    ))
    .expect("the error table is JSON");
    assert_eq!(table.len(), 12);
    for (input, field, detail) in table {
        let response = search(&app, &admin, &input).await;
        assert_eq!(
            search_validations(&response, &input),
            vec![(field, detail)],
            "{input}"
        );
    }

    // Several bad keys: one validation each, in the spec's key order.
    let input = "type:telnet status:connected foo:bar";
    assert_eq!(
        search_validations(&search(&app, &admin, input).await, input),
        vec![
            (
                "type".to_owned(),
                r#"Query param "type" has invalid value: "telnet" is not a valid value"#.to_owned()
            ),
            (
                "status".to_owned(),
                r#"Query param "status" has invalid value: "connected" is not a valid value"#
                    .to_owned()
            ),
            (
                "foo".to_owned(),
                r#""foo" is not a valid query param"#.to_owned()
            ),
        ]
    );
}

/// Case 25, continued: an unknown organization is a parser error like the others, so it
/// accumulates with them (first, as `organization` is the first key in Coder's key order).
#[tokio::test]
async fn case_25_an_unknown_organization_accumulates_with_other_errors() {
    let (app, admin) = licensed().await;
    let input = "organization:nope type:telnet";
    assert_eq!(
        search_validations(&search(&app, &admin, input).await, input),
        vec![
            (
                "organization".to_owned(),
                r#"Query param "organization" has invalid value: organization "nope" either does not exist, or you are unauthorized to view it"#.to_owned()
            ),
            (
                "type".to_owned(),
                r#"Query param "type" has invalid value: "telnet" is not a valid value"#.to_owned()
            ),
        ]
    );
}

/// Case 37: an open SSH-like entry has `sshInfo` with only its session id, and no `webInfo`;
/// a closed one has its disconnect time, reason and exit code (0 is a real exit code, an empty
/// reason is none); web entries are the other way round.
#[tokio::test]
async fn case_37_ssh_info_of_open_and_closed_sessions() {
    let (app, admin, agent, agent_token) = one_workspace().await;
    let t = app.clock.now().trunc_subsecs(0) - Duration::hours(1);
    let open = Uuid::new_v4();
    let closed = Uuid::new_v4();
    let closed_zero = Uuid::new_v4();
    report(&app, &agent_token, json!({ "connectionId": open, "action": "CONNECT", "type": "SSH", "time": t.to_rfc3339(), "ip": "10.0.0.1" })).await;
    report(&app, &agent_token, json!({ "connectionId": closed, "action": "CONNECT", "type": "SSH", "time": (t + Duration::minutes(1)).to_rfc3339() })).await;
    report(&app, &agent_token, json!({ "connectionId": closed, "action": "DISCONNECT", "type": "SSH", "time": (t + Duration::minutes(5)).to_rfc3339(), "reason": "client hung up", "statusCode": 130 })).await;
    report(&app, &agent_token, json!({ "connectionId": closed_zero, "action": "CONNECT", "type": "SSH", "time": (t + Duration::minutes(2)).to_rfc3339() })).await;
    report(&app, &agent_token, json!({ "connectionId": closed_zero, "action": "DISCONNECT", "type": "SSH", "time": (t + Duration::minutes(3)).to_rfc3339(), "reason": "", "statusCode": 0 })).await;
    // The other SSH-like types, open.
    let mut others = Vec::new();
    for (n, kind) in ["VSCODE", "JETBRAINS", "RECONNECTING_PTY"]
        .into_iter()
        .enumerate()
    {
        let id = Uuid::new_v4();
        let at = t + Duration::minutes(10 + i64::try_from(n).expect("small"));
        report(&app, &agent_token, json!({ "connectionId": id, "action": "CONNECT", "type": kind, "time": at.to_rfc3339() })).await;
        others.push((id, kind));
    }
    gql_ok(
        &app,
        &admin,
        "mutation($input: ReportWebConnectionInput!) { reportWebConnection(input: $input) { recorded } }",
        json!({ "input": { "agentId": agent, "type": "PORT_FORWARDING", "time": (t + Duration::minutes(20)).to_rfc3339(),
                "ip": "10.0.0.9", "userAgent": "curl/8", "slugOrPort": "8080", "statusCode": 200 } }),
    )
    .await;

    let nodes = all_nodes(&app, &admin, "").await;
    assert_eq!(nodes.len(), 7);
    let by_session = |session: Uuid| {
        nodes
            .iter()
            .find(|n| n["sshInfo"]["connectionId"] == json!(session))
            .unwrap_or_else(|| panic!("no entry for {session}: {nodes:?}"))
    };

    let node = by_session(open);
    assert_eq!(node["type"], "SSH");
    assert_eq!(time(&node["connectTime"]), t);
    assert_eq!(
        node["sshInfo"],
        json!({ "connectionId": open, "disconnectTime": null, "disconnectReason": null, "exitCode": null })
    );
    assert_eq!(node["webInfo"], Value::Null);

    let node = by_session(closed);
    assert_eq!(node["sshInfo"]["connectionId"], json!(closed));
    assert_eq!(
        time(&node["sshInfo"]["disconnectTime"]),
        t + Duration::minutes(5)
    );
    assert_eq!(node["sshInfo"]["disconnectReason"], "client hung up");
    assert_eq!(node["sshInfo"]["exitCode"], 130);
    assert_eq!(node["webInfo"], Value::Null);

    let node = by_session(closed_zero);
    assert_eq!(
        time(&node["sshInfo"]["disconnectTime"]),
        t + Duration::minutes(3)
    );
    assert_eq!(
        node["sshInfo"]["disconnectReason"],
        Value::Null,
        "an empty reason is none"
    );
    assert_eq!(node["sshInfo"]["exitCode"], 0, "0 is a real exit code");
    assert_eq!(node["webInfo"], Value::Null);

    for (session, kind) in others {
        let node = by_session(session);
        assert_eq!(node["type"], kind);
        assert_eq!(
            node["sshInfo"],
            json!({ "connectionId": session, "disconnectTime": null, "disconnectReason": null, "exitCode": null }),
            "{kind}"
        );
        assert_eq!(node["webInfo"], Value::Null, "{kind}");
    }

    let web = nodes
        .iter()
        .find(|n| n["type"] == "PORT_FORWARDING")
        .expect("the web entry");
    assert_eq!(web["sshInfo"], Value::Null);
    assert_eq!(
        web["webInfo"],
        json!({ "userAgent": "curl/8", "statusCode": 200, "slugOrPort": "8080", "user": null })
    );
}

/// Case 38: no IP, or one that does not parse, is a null `ip`; `localhost` is 127.0.0.1;
/// valid addresses are kept.
#[tokio::test]
async fn case_38_missing_and_unparsable_ips_are_null() {
    let (app, admin, _, agent_token) = one_workspace().await;
    let t = app.clock.now().trunc_subsecs(0) - Duration::hours(1);
    let cases: [(Option<&str>, Option<&str>); 9] = [
        (None, None),
        (Some(""), None),
        (Some("not-an-ip"), None),
        (Some("999.1.1.1"), None),
        (Some("10.0.0.1:22"), None),
        (Some("localhost"), Some("127.0.0.1")),
        (Some("10.0.0.1"), Some("10.0.0.1")),
        (Some("::1"), Some("::1")),
        (Some("192.168.1.20"), Some("192.168.1.20")),
    ];
    let mut sessions = Vec::new();
    for (n, (ip, _)) in cases.iter().enumerate() {
        let session = Uuid::new_v4();
        let mut input = json!({ "connectionId": session, "action": "CONNECT", "type": "SSH",
            "time": (t + Duration::minutes(i64::try_from(n).expect("small"))).to_rfc3339() });
        if let Some(ip) = ip {
            input["ip"] = json!(ip);
        }
        report(&app, &agent_token, input).await;
        sessions.push(session);
    }
    let nodes = all_nodes(&app, &admin, "").await;
    assert_eq!(nodes.len(), cases.len());
    for ((reported, expected), session) in cases.iter().zip(sessions) {
        let node = nodes
            .iter()
            .find(|n| n["sshInfo"]["connectionId"] == json!(session))
            .unwrap_or_else(|| panic!("no entry for {reported:?}"));
        assert_eq!(node["ip"], json!(expected), "reported {reported:?}");
    }
}
