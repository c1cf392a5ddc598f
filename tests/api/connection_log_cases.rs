//! The acceptance cases of docs/rules/connection-log.md on its fixture F: orgs A and B,
//! users user1-3, ws1 (user1, org A) and ws2 (user2, org B), and four entries L1-L4.

use chrono::Duration;
use devplane::clock::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::TestApp,
    helpers::{MAIN_TF, create_template, run_jobs},
};

struct F {
    app: TestApp,
    admin: String,
    user1: String,
    org_b: String,
    ws2: String,
    /// L2's session id (L1, a web event, has none).
    l2_session: Uuid,
    ids: [String; 4],
}

pub(crate) async fn gql_ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.gql(query, variables, Some(token)).await.data().clone()
}

pub(crate) async fn workspace_with_agent(
    app: &TestApp,
    token: &str,
    template: &str,
    name: &str,
    admin: &str,
) -> (String, String, String) {
    let ws = gql_ok(
        app,
        token,
        "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
        json!({ "input": { "templateId": template, "name": name, "parameters": [{ "name": "project", "value": "p" }] } }),
    )
    .await["createWorkspace"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    run_jobs(app).await;
    let agent = gql_ok(
        app,
        admin,
        "query($id: UUID!) { workspace(id: $id) { agents { id } } }",
        json!({ "id": ws }),
    )
    .await["workspace"]["agents"][0]["id"]
        .as_str()
        .expect("agent")
        .to_owned();
    let token = gql_ok(
        app,
        admin,
        "mutation($id: UUID!) { createWorkspaceAgentToken(agentId: $id) { token } }",
        json!({ "id": agent }),
    )
    .await["createWorkspaceAgentToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    (ws, agent, token)
}

pub(crate) async fn report(app: &TestApp, agent_token: &str, input: Value) {
    app.agent_gql(
        agent_token,
        "mutation($input: ReportConnectionInput!) { reportConnection(input: $input) { recorded } }",
        json!({ "input": input }),
    )
    .await
    .data();
}

async fn fixture() -> F {
    let app = TestApp::spawn_with(&["--provisioner-daemons", "0"]).await;
    let admin = app.create_first_user().await;
    app.install_premium_license(&admin).await;
    let org_a = app.default_org(&admin).await;
    let org_b = gql_ok(
        &app,
        &admin,
        "mutation { createOrganization(input: {name: \"orgb\"}) { id } }",
        json!({}),
    )
    .await["createOrganization"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for (name, orgs) in [
        ("user1", vec![org_a.clone()]),
        ("user2", vec![org_b.clone()]),
        ("user3", vec![org_a.clone()]),
    ] {
        let id = gql_ok(
            &app,
            &admin,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "email": format!("{name}@test.com"), "username": name, "password": "password-1", "organizationIds": orgs } }),
        )
        .await["createUser"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        ids.push(id);
        tokens.push(app.login(&format!("{name}@test.com"), "password-1").await);
    }
    let (template_a, _) = create_template(&app, &admin, &org_a, "docker", MAIN_TF, json!({})).await;
    let (template_b, _) = create_template(&app, &admin, &org_b, "docker", MAIN_TF, json!({})).await;
    let (_, agent1, token1) =
        workspace_with_agent(&app, &tokens[0], &template_a, "ws1", &admin).await;
    let (ws2, _, token2) = workspace_with_agent(&app, &tokens[1], &template_b, "ws2", &admin).await;

    let now = app.clock.now();
    let t = |hours: i64| (now - Duration::hours(hours)).to_rfc3339();
    // L1: a web event on ws1 by user1.
    gql_ok(
        &app,
        &admin,
        "mutation($input: ReportWebConnectionInput!) { reportWebConnection(input: $input) { recorded } }",
        json!({ "input": { "agentId": agent1, "type": "WORKSPACE_APP", "time": t(4), "userId": ids[0], "userAgent": "Mozilla/5.0", "slugOrPort": "code-server", "statusCode": 200 } }),
    )
    .await;
    // L2: vscode on ws1, closed an hour later.
    let c2 = Uuid::new_v4();
    report(
        &app,
        &token1,
        json!({ "connectionId": c2, "action": "CONNECT", "type": "VSCODE", "time": t(3) }),
    )
    .await;
    report(
        &app,
        &token1,
        json!({ "connectionId": c2, "action": "DISCONNECT", "type": "VSCODE", "time": t(2) }),
    )
    .await;
    // L3: ssh on ws2, closed.
    let c3 = Uuid::new_v4();
    report(
        &app,
        &token2,
        json!({ "connectionId": c3, "action": "CONNECT", "type": "SSH", "time": t(2) }),
    )
    .await;
    report(
        &app,
        &token2,
        json!({ "connectionId": c3, "action": "DISCONNECT", "type": "SSH", "time": t(1) }),
    )
    .await;
    // L4: vscode on ws2, open.
    report(&app, &token2, json!({ "connectionId": Uuid::new_v4(), "action": "CONNECT", "type": "VSCODE", "time": t(1) })).await;

    let all = gql_ok(
        &app,
        &admin,
        "{ connectionLogs { nodes { id } } }",
        json!({}),
    )
    .await;
    let listed: Vec<String> = all["connectionLogs"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(listed.len(), 4);
    // Newest first: L4, L3, L2, L1.
    let ids = [
        listed[3].clone(),
        listed[2].clone(),
        listed[1].clone(),
        listed[0].clone(),
    ];
    F {
        app,
        admin,
        user1: tokens[0].clone(),
        org_b,
        ws2,
        l2_session: c2,
        ids,
    }
}

#[tokio::test]
async fn fixture_f_filters() {
    let f = fixture().await;
    let now = f.app.clock.now();
    let after = (now - Duration::minutes(90)).to_rfc3339();
    let before = (now - Duration::minutes(150)).to_rfc3339();
    // Cases 5 and 9 (`me` as user1) run below, once user1 may read the log.
    let cases: Vec<(u32, String, Vec<usize>)> = vec![
        (1, String::new(), vec![4, 3, 2, 1]),
        (2, format!("organization:{}", f.org_b), vec![4, 3]),
        (3, "organization:orgb".into(), vec![4, 3]),
        (4, "workspace_owner:user1".into(), vec![2, 1]),
        (6, "workspace_owner_email:user2@test.com".into(), vec![4, 3]),
        (7, "type:vscode".into(), vec![4, 2]),
        (8, "username:user1".into(), vec![1]),
        (10, "user_email:user1@test.com".into(), vec![1]),
        (11, format!("connected_after:\"{after}\""), vec![4]),
        (12, format!("connected_before:\"{before}\""), vec![2, 1]),
        (13, format!("workspace_id:{}", f.ws2), vec![4, 3]),
        (14, format!("connection_id:{}", f.l2_session), vec![2]),
        (15, "status:ongoing".into(), vec![4]),
        (16, "status:completed".into(), vec![3, 2]),
        (18, "workspace_owner:nosuchuser".into(), vec![]),
        (19, "TYPE:VSCODE".into(), vec![4, 2]),
    ];
    for (case, filter, expected) in cases {
        let response = f
            .app
            .gql(
                "query($f: String!) { connectionLogs(filter: $f) { totalCount nodes { id } } }",
                json!({ "f": filter }),
                Some(&f.admin),
            )
            .await;
        let page = &response.data()["connectionLogs"];
        let got: Vec<String> = page["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().expect("id").to_owned())
            .collect();
        let want: Vec<String> = expected.iter().map(|l| f.ids[l - 1].clone()).collect();
        assert_eq!(got, want, "case {case}: {filter}");
        assert_eq!(page["totalCount"], want.len(), "case {case}: count");
    }
    // 17: organization A, vscode, completed.
    let org_a = f.app.default_org(&f.admin).await;
    let response = f
        .app
        .gql(
            "query($f: String!) { connectionLogs(filter: $f) { nodes { id } } }",
            json!({ "f": format!("organization:{org_a} type:vscode status:completed") }),
            Some(&f.admin),
        )
        .await;
    assert_eq!(
        response.data()["connectionLogs"]["nodes"],
        json!([{ "id": f.ids[1] }]),
        "case 17"
    );

    // 26: a member sees nothing.
    let member = f
        .app
        .gql(
            "{ connectionLogs { totalCount nodes { id } } }",
            json!({}),
            Some(&f.user1),
        )
        .await;
    assert_eq!(
        member.data()["connectionLogs"],
        json!({ "totalCount": 0, "nodes": [] }),
        "case 26"
    );
    // 5 and 9: `me` as user1, once user1 may read the log (site auditor).
    let user1_id = f
        .app
        .gql("{ viewer { id } }", json!({}), Some(&f.user1))
        .await
        .data()["viewer"]["id"]
        .clone();
    f.app
        .gql(
            "mutation($input: UpdateUserRolesInput!) { updateUserRoles(input: $input) { id } }",
            json!({ "input": { "id": user1_id, "siteRoles": ["AUDITOR"] } }),
            Some(&f.admin),
        )
        .await
        .data();
    for (case, filter, expected) in [
        (5, "workspace_owner:me", vec![2, 1]),
        (9, "username:me", vec![1]),
    ] {
        let response = f
            .app
            .gql(
                "query($f: String!) { connectionLogs(filter: $f) { nodes { id } } }",
                json!({ "f": filter }),
                Some(&f.user1),
            )
            .await;
        let got: Vec<String> = response.data()["connectionLogs"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().expect("id").to_owned())
            .collect();
        let want: Vec<String> = expected
            .iter()
            .map(|l: &usize| f.ids[l - 1].clone())
            .collect();
        assert_eq!(got, want, "case {case}");
    }
    // 28: the site auditor sees all four.
    let auditor = f
        .app
        .gql(
            "{ connectionLogs { totalCount } }",
            json!({}),
            Some(&f.user1),
        )
        .await;
    assert_eq!(auditor.data()["connectionLogs"]["totalCount"], 4, "case 28");
}

#[tokio::test]
async fn empty_log_and_invalid_paging() {
    let app = TestApp::spawn_with(&["--provisioner-daemons", "0"]).await;
    let admin = app.create_first_user().await;
    app.install_premium_license(&admin).await;
    // 21: an empty log is an empty list with a zero count.
    let empty = app.gql("{ connectionLogs { totalCount nodes { id } edges { cursor } pageInfo { hasNextPage endCursor } } }", json!({}), Some(&admin)).await;
    assert_eq!(
        empty.data()["connectionLogs"],
        json!({ "totalCount": 0, "nodes": [], "edges": [], "pageInfo": { "hasNextPage": false, "endCursor": null } })
    );
    // 24: a negative limit.
    let negative = app
        .gql(
            "{ connectionLogs(limit: -1) { totalCount } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(negative.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        negative.body["errors"][0]["message"],
        "Query parameters have invalid values."
    );
    assert_eq!(negative.validations()[0]["field"], "limit");
}
