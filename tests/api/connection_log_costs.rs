//! What a connection-log request costs in SQL statements: a fixed number per page whatever
//! its size, nested objects only when selected, a total counted only when `totalCount` is
//! selected (on PostgreSQL by the page's own statement), and organization names and rows
//! read once per process.

use chrono::Duration;
use devplane::clock::Clock;
use serde_json::json;
use uuid::Uuid;

use crate::{
    connection_log_cases::{gql_ok, workspace_with_agent},
    helpers::TestApp,
    helpers::{MAIN_TF, create_template},
};

/// A server with a licensed admin and `rows` web entries a minute apart on one workspace,
/// requested in turn by `requesters` fresh users; returns the app, the admin's token and
/// the organization.
async fn with_entries(rows: i64, requesters: usize, flags: &[&str]) -> (TestApp, String, String) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let flags: Vec<&str> = ["--provisioner-daemons", "0"]
        .into_iter()
        .chain(flags.iter().copied())
        .collect();
    let app = TestApp::spawn_with(&flags).await;
    let admin = app.create_first_user().await;
    app.install_premium_license(&admin).await;
    let org = app.default_org(&admin).await;
    let (template, _) = create_template(&app, &admin, &org, "docker", MAIN_TF, json!({})).await;
    let (ws, _, _) = workspace_with_agent(&app, &admin, &template, "ws", &admin).await;
    let mut users = Vec::new();
    for n in 0..requesters {
        let (id, _) = app.create_user(&admin, &format!("u{n}"), &[]).await;
        users.push(id.parse::<Uuid>().expect("uuid"));
    }
    let owner: Uuid = gql_ok(&app, &admin, "{ viewer { id } }", json!({})).await["viewer"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let now = app.clock.now();
    for n in 0..rows {
        devplane::entity::connection_log::ActiveModel {
            id: Set(Uuid::new_v4()),
            connect_time: Set(now - Duration::minutes(n)),
            organization_id: Set(org.parse().expect("uuid")),
            workspace_owner_id: Set(owner),
            workspace_id: Set(ws.parse().expect("uuid")),
            workspace_name: Set("ws".into()),
            agent_name: Set("main".into()),
            r#type: Set("workspace_app".into()),
            ip: Set(Some("10.0.0.1".into())),
            code: Set(Some(200)),
            user_agent: Set(Some("test".into())),
            user_id: Set(Some(
                users[usize::try_from(n).expect("small") % users.len()],
            )),
            slug_or_port: Set(Some("app".into())),
            connection_id: Set(None),
            disconnect_time: Set(None),
            disconnect_reason: Set(None),
        }
        .insert(&app.db)
        .await
        .expect("row");
    }
    (app, admin, org)
}

/// The statements one request costs, and its data.
async fn cost(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: serde_json::Value,
) -> (u64, serde_json::Value) {
    let before = app.statements().await;
    let data = app.gql(query, variables, Some(token)).await.data().clone();
    (app.statements().await - before, data)
}

#[tokio::test]
async fn a_page_costs_the_same_statements_whatever_its_size() {
    let (app, admin, _) = with_entries(120, 5, &[]).await;
    // Organizations and users are loaded only when the query selects them, here through
    // edges as well as nodes: users by the page's own statement, organizations by one more
    // statement the first time only (the process remembers them; they never change).
    let (bare, _) = cost(
        &app,
        &admin,
        "{ connectionLogs(limit: 50) { nodes { id ip } } }",
        json!({}),
    )
    .await;
    let orgs_query = "{ connectionLogs(limit: 50) { edges { node { organization { name } } } } }";
    let (orgs, data) = cost(&app, &admin, orgs_query, json!({})).await;
    assert_eq!(
        data["connectionLogs"]["edges"][0]["node"]["organization"]["name"],
        "default"
    );
    let (orgs_again, _) = cost(&app, &admin, orgs_query, json!({})).await;
    let (all, _) = cost(&app, &admin, "{ connectionLogs(limit: 50) { nodes { id } edges { node { workspaceOwner { username } webInfo { user { username } } organization { id } } } } }", json!({})).await;
    assert_eq!(
        (orgs - bare, orgs_again - bare, all - bare),
        (1, 0, 0),
        "{bare} {orgs} {orgs_again} {all}"
    );

    let page = "query($limit: Int) { connectionLogs(limit: $limit) { totalCount nodes { id organization { name } workspaceOwner { username } webInfo { user { username } } } } }";
    let mut costs = Vec::new();
    for limit in [10, 100] {
        let (statements, data) = cost(&app, &admin, page, json!({ "limit": limit })).await;
        let nodes = data["connectionLogs"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), limit);
        costs.push(statements);
    }
    assert_eq!(
        costs[0], costs[1],
        "a page of 100 costs what a page of 10 costs: {costs:?}"
    );
    let expected = if app.database_url().starts_with("postgres") {
        1
    } else {
        2
    };
    assert_eq!(
        costs[1], expected,
        "the page with its users and its count: {costs:?}"
    );
}

/// A selection exercising what `nodes` and the objects it nests resolve by their own path:
/// fragments (named and inline), aliases, `__typename`, `@skip` and `@include`, a field asked
/// twice with different sub-selections, and a nested list the page does not preload.
const ENTRY: &str = "...Entry kind: type __typename ... on ConnectionLog { id webInfo { statusCode } } \
    agentName @skip(if: true) workspaceName @include(if: true) workspaceId @include(if: false) \
    workspaceOwner { id } workspaceOwner { username organizationMemberships { roles } }";
const ENTRY_FRAGMENT: &str = "fragment Entry on ConnectionLog { id connectTime type ip \
    organization { id name __typename orgName: name ...Org displayName @skip(if: true) } \
    webInfo { user { username ... on User { email } } slugOrPort } sshInfo { connectionId } } \
    fragment Org on Organization { displayName }";

#[tokio::test]
async fn nodes_resolve_as_edges_do_for_the_same_selection_and_cost() {
    let (app, admin, _) = with_entries(40, 3, &[]).await;
    let (nodes_cost, nodes) = cost(
        &app,
        &admin,
        &format!("{{ connectionLogs(limit: 40) {{ nodes {{ {ENTRY} }} }} }} {ENTRY_FRAGMENT}"),
        json!({}),
    )
    .await;
    let (edges_cost, edges) = cost(
        &app,
        &admin,
        &format!(
            "{{ connectionLogs(limit: 40) {{ edges {{ node {{ {ENTRY} }} }} }} }} {ENTRY_FRAGMENT}"
        ),
        json!({}),
    )
    .await;
    let nodes = nodes["connectionLogs"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    let edge_nodes: Vec<serde_json::Value> = edges["connectionLogs"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect();
    assert_eq!(nodes.len(), 40);
    assert_eq!(nodes, edge_nodes);
    let first = &nodes[0];
    assert_eq!(first["__typename"], "ConnectionLog");
    assert_eq!(
        (&first["kind"], &first["type"]),
        (&json!("WORKSPACE_APP"), &json!("WORKSPACE_APP"))
    );
    assert_eq!(first["webInfo"]["statusCode"], 200);
    let organization = &first["organization"];
    assert_eq!(
        (
            &organization["name"],
            &organization["orgName"],
            &organization["__typename"]
        ),
        (&json!("default"), &json!("default"), &json!("Organization")),
        "{organization}"
    );
    assert!(organization["displayName"].is_string(), "{organization}");
    assert!(
        first["webInfo"]["user"]["email"]
            .as_str()
            .is_some_and(|e| e.contains('@'))
    );
    assert_eq!(first["webInfo"]["slugOrPort"], "app");
    assert!(
        first["webInfo"]["user"]["username"]
            .as_str()
            .is_some_and(|u| u.starts_with('u'))
    );
    assert_eq!(first["sshInfo"], serde_json::Value::Null);
    assert_eq!(first["workspaceName"], "ws");
    assert!(first.get("agentName").is_none() && first.get("workspaceId").is_none());
    // The two `workspaceOwner` selections merge into one object.
    let owner = &first["workspaceOwner"];
    assert!(
        owner["id"].is_string() && owner["username"].is_string(),
        "{owner}"
    );
    assert_eq!(
        owner["organizationMemberships"][0]["roles"],
        json!(["ORGANIZATION_MEMBER"]),
        "{owner}"
    );
    // The memberships no page preloads are still fetched in batches, not once per entry:
    // the page with its users, the organization (the first time only) and the memberships
    // make 3 statements, then 2 (the token was checked before, so it costs none). A loaded
    // machine can let the loader's 1 ms batching window close mid-page and split the
    // memberships in two, on either path (async-graphql's own included), hence the bound.
    assert!(
        nodes_cost <= 4 && edges_cost <= 3,
        "nodes {nodes_cost}, edges {edges_cost}"
    );
}

#[tokio::test]
async fn a_selected_total_costs_no_round_trip_on_postgres_and_is_always_right() {
    let (app, admin, _) = with_entries(120, 3, &[]).await;
    let page = "query($limit: Int, $offset: Int, $first: Int, $after: String) { \
        connectionLogs(limit: $limit, offset: $offset, first: $first, after: $after) { \
        nodes { id } pageInfo { endCursor hasNextPage } } }";
    let counted = "query($limit: Int, $offset: Int, $first: Int, $after: String) { \
        connectionLogs(limit: $limit, offset: $offset, first: $first, after: $after) { \
        totalCount nodes { id } pageInfo { endCursor hasNextPage } } }";
    let (bare, data) = cost(&app, &admin, page, json!({ "limit": 10 })).await;
    let cursor = data["connectionLogs"]["pageInfo"]["endCursor"].clone();
    let total = |data: &serde_json::Value| data["connectionLogs"]["totalCount"].clone();
    let ids = |data: &serde_json::Value| data["connectionLogs"]["nodes"].clone();
    // PostgreSQL counts in the page's statement (a round trip saved); SQLite, in-process,
    // in one of its own.
    let counted_cost = bare + u64::from(!app.database_url().starts_with("postgres"));

    // A counted page returns the same rows as an uncounted one.
    let (n, counted_data) = cost(&app, &admin, counted, json!({ "limit": 10 })).await;
    assert_eq!((n, total(&counted_data)), (counted_cost, json!(120)));
    assert_eq!(ids(&counted_data), ids(&data));
    assert_eq!(ids(&data).as_array().map(Vec::len), Some(10));
    let (n, data) = cost(
        &app,
        &admin,
        "{ connectionLogs(limit: 10) { countCap nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        (n, data["connectionLogs"]["countCap"].clone()),
        (bare, json!(2000))
    );
    let (n, plain) = cost(&app, &admin, page, json!({ "first": 10, "after": cursor })).await;
    assert_eq!(n, bare);
    let (n, data) = cost(
        &app,
        &admin,
        counted,
        json!({ "first": 10, "after": cursor }),
    )
    .await;
    assert_eq!((n, total(&data)), (counted_cost, json!(120)));
    assert_eq!(ids(&data), ids(&plain));
    assert_eq!(
        data["connectionLogs"]["pageInfo"],
        plain["connectionLogs"]["pageInfo"]
    );

    // Pages holding every row, reaching the last one, or past the end: the same total.
    for (variables, rows) in [
        (json!({ "limit": 500 }), 120),
        (json!({ "first": 500 }), 120),
        (json!({ "limit": 10, "offset": 115 }), 5),
        (json!({ "limit": 10, "offset": 200 }), 0),
    ] {
        let (n, data) = cost(&app, &admin, counted, variables.clone()).await;
        assert_eq!(
            (n, total(&data), ids(&data).as_array().map(Vec::len)),
            (counted_cost, json!(120), Some(rows)),
            "{variables}"
        );
    }
}

#[tokio::test]
async fn the_total_stops_at_the_cap_whether_counted_or_told() {
    let (app, admin, _) = with_entries(12, 2, &["--connection-log-count-cap", "5"]).await;
    let counted = "query($limit: Int, $offset: Int) { connectionLogs(limit: $limit, offset: $offset) { totalCount countCap nodes { id } } }";
    for (limit, offset) in [(10, 0), (500, 0), (3, 9)] {
        let data = gql_ok(
            &app,
            &admin,
            counted,
            json!({ "limit": limit, "offset": offset }),
        )
        .await;
        assert_eq!(
            (
                data["connectionLogs"]["totalCount"].clone(),
                data["connectionLogs"]["countCap"].clone()
            ),
            (json!(6), json!(5)),
            "limit {limit} offset {offset}: cap + 1 means more than the cap"
        );
    }
}

#[tokio::test]
async fn organization_names_resolve_once_and_still_only_for_those_who_may_see_them() {
    let (app, admin, _) = with_entries(3, 1, &[]).await;
    let other = gql_ok(
        &app,
        &admin,
        "mutation { createOrganization(input: {name: \"acme\"}) { id } }",
        json!({}),
    )
    .await;
    assert!(other["createOrganization"]["id"].is_string());
    // Creating the organization changed the admin's roles, so its token is read again once.
    gql_ok(&app, &admin, "{ viewer { id } }", json!({})).await;
    let query = "query($f: String!) { connectionLogs(filter: $f) { nodes { id } } }";
    let (first, _) = cost(&app, &admin, query, json!({ "f": "organization:acme" })).await;
    let (again, _) = cost(&app, &admin, query, json!({ "f": "organization:ACME" })).await;
    assert_eq!(
        again + 1,
        first,
        "the second search by name needs no lookup"
    );

    // A user who is not a member of acme may still not name it; the remembered name
    // changes nothing.
    let (_, member) = app.create_user(&admin, "dev", &[]).await;
    let refused = app
        .gql(query, json!({ "f": "organization:acme" }), Some(&member))
        .await;
    assert_eq!(refused.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        refused.validations()[0]["detail"],
        "Query param \"organization\" has invalid value: organization \"acme\" either does not exist, or you are unauthorized to view it"
    );
}
