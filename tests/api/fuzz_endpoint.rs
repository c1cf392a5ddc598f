//! The GraphQL endpoint under generated requests: whatever a client sends, the answer is
//! never a 5xx nor an internal error, every error carries `extensions.code`, and `/healthz`
//! still answers afterwards. Runs on PostgreSQL too when `DEVPLANE_TEST_DATABASE_URL` is set.
//!
//! One server serves every case, seeded with an owner, a premium license, a template, a
//! workspace and its agent so that generated ids and tokens can reach real rows. Requests are
//! random bytes, random JSON, envelopes with wrong types, and documents built from the served
//! schema: its real root fields, arguments, input types and enums, with aliases, fragments,
//! directives and variables, values of the right and of the wrong type, and strings with NUL,
//! escaped lone surrogates and up to a few hundred kilobytes. Fragments stay shallow (a chain,
//! never a fan-out), so the document size stays linear in what is generated.
//!
//! A 5xx, an internal error or a hang fails the case, which proptest then shrinks; errors
//! without a code are collected over the whole run and listed at its end. Failures print the
//! seed: `PROPTEST_RNG_SEED=<seed>` replays a run, `PROPTEST_CASES=<n>` runs longer than the
//! CI budget.

mod documents;
mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use self::documents::{Document, DocumentGenerator, SchemaModel};
use self::values::{MAX_JSON_DEPTH, Val, any_value, deep};
use crate::helpers::TestApp;
use crate::helpers::{MAIN_TF, create_template, run_jobs, setup};

/// Cases per run in CI: a few seconds on SQLite in a debug build.
const DEFAULT_CASES: u32 = 256;

/// A request slower than this is a hang, reported as a failure rather than waited for.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[test]
fn the_endpoint_answers_generated_requests_without_server_errors() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // The server's tasks, pools and test database are dropped with this runtime entered,
    // after a failure as well.
    let _entered = runtime.enter();
    let seeded = runtime.block_on(Seeded::create());
    let generator = Generator::new(&seeded);
    let strategy = generator.request();

    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let config = Config {
        cases,
        // The server is shared, so a stored regression would not replay the same state; the
        // seed in the failure message replays the whole run instead.
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        // Each shrink step is an HTTP round trip; a bounded search still ends on a small case.
        max_shrink_iters: 256,
        max_shrink_time: 60_000,
        ..Config::default()
    };
    let tally = Mutex::new(Tally::default());
    // Errors without a code are a broken contract too, but one kind of them would stop
    // every run at its first case and hide the rest; they are collected (the shortest
    // request for each kind) and reported after the run.
    let uncoded: Mutex<BTreeMap<String, Request>> = Mutex::new(BTreeMap::new());
    let started = Instant::now();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |request| {
        let outcome = runtime.block_on(seeded.send(&request))?;
        tally.lock().expect("tally").add(&outcome);
        let mut uncoded = uncoded.lock().expect("uncoded");
        for message in outcome.uncoded_errors() {
            let shortest = uncoded.entry(message).or_insert_with(|| request.clone());
            if request.size() < shortest.size() {
                *shortest = request.clone();
            }
        }
        outcome.check()
    });
    eprintln!(
        "fuzz_endpoint: {cases} cases in {:.1?} (seed {seed}), shrinking included: {}",
        started.elapsed(),
        tally.lock().expect("tally")
    );
    let health = runtime.block_on(seeded.health());
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, request)) => panic!(
            "{reason}\nminimal failing request (PROPTEST_RNG_SEED={seed} replays the run):\n\
             {request:?}\n/healthz answered {health:?} afterwards"
        ),
        Err(TestError::Abort(reason)) => panic!("aborted: {reason} (seed {seed})"),
    }
    assert_eq!(health, Some(200), "/healthz after the run (seed {seed})");
    let uncoded = uncoded.into_inner().expect("uncoded");
    assert!(
        uncoded.is_empty(),
        "{} kinds of errors without extensions.code (seed {seed}):\n{}",
        uncoded.len(),
        uncoded
            .iter()
            .enumerate()
            .map(|(i, (message, request))| if i < 10 {
                format!("- {message}\n  for example:\n{request:?}\n")
            } else {
                format!("- {message}\n")
            })
            .collect::<String>()
    );
}

// --- the seeded server -----------------------------------------------------------------------

/// The server and what the seeding created, so generated requests can name real things.
struct Seeded {
    app: TestApp,
    client: reqwest::Client,
    owner_token: String,
    agent_token: String,
    /// Ids of real rows: the owner, the default organization, the template, its version, the
    /// workspace and its agent.
    ids: Vec<String>,
}

impl Seeded {
    async fn create() -> Self {
        let (app, owner_token, org) = setup().await;
        app.install_premium_license(&owner_token).await;
        let (template, version) =
            create_template(&app, &owner_token, &org, "docker", MAIN_TF, json!({})).await;
        let created = app
            .gql(
                "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }",
                json!({ "input": { "templateId": template, "name": "dev", "parameters": [{ "name": "project", "value": "p" }] } }),
                Some(&owner_token),
            )
            .await;
        let workspace = created.data()["createWorkspace"]["id"]
            .as_str()
            .expect("workspace id")
            .to_owned();
        run_jobs(&app).await;
        let found = app
            .gql(
                "query($id: UUID!) { viewer { id } workspace(id: $id) { agents { id } } }",
                json!({ "id": workspace }),
                Some(&owner_token),
            )
            .await;
        let owner = found.data()["viewer"]["id"]
            .as_str()
            .expect("owner id")
            .to_owned();
        let agent = found.data()["workspace"]["agents"][0]["id"]
            .as_str()
            .expect("agent id")
            .to_owned();
        let issued = app
            .gql(
                "mutation($id: UUID!) { createWorkspaceAgentToken(agentId: $id) { token } }",
                json!({ "id": agent }),
                Some(&owner_token),
            )
            .await;
        let agent_token = issued.data()["createWorkspaceAgentToken"]["token"]
            .as_str()
            .expect("agent token")
            .to_owned();
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("client");
        Seeded {
            app,
            client,
            owner_token,
            agent_token,
            ids: vec![owner, org, template, version, workspace, agent],
        }
    }

    /// The status of `GET /healthz`, if the server answers at all.
    async fn health(&self) -> Option<u16> {
        let response = self
            .client
            .get(format!("{}/healthz", self.app.address))
            .send()
            .await;
        response.ok().map(|r| r.status().as_u16())
    }

    /// Sends a generated request; a transport failure (the server hung or hung up) fails
    /// the case.
    async fn send(&self, request: &Request) -> Result<Outcome, TestCaseError> {
        let url = format!("{}/graphql", self.app.address);
        let mut builder = match request.method {
            Method::Get => self.client.get(&url).query(&request.params),
            Method::Post => self.client.post(&url).body(request.body.clone()),
        };
        if let Some(content_type) = request.content_type {
            builder = builder.header("content-type", content_type);
        }
        if let Some(accept) = request.accept {
            builder = builder.header("accept", accept);
        }
        let credential = match &request.auth {
            Auth::Anonymous => None,
            Auth::Owner => Some(("authorization", format!("Bearer {}", self.owner_token))),
            Auth::OwnerSessionHeader => Some(("coder-session-token", self.owner_token.clone())),
            Auth::Agent => Some(("coder-agent-token", self.agent_token.clone())),
            Auth::Garbage { header, value } => {
                let value = HeaderValue::from_bytes(value).map_err(|_| {
                    TestCaseError::reject("the generator made an invalid header value")
                })?;
                builder = builder.header(HeaderName::from_static(header), value);
                None
            }
        };
        if let Some((header, value)) = credential {
            builder = builder.header(header, value);
        }
        let response = builder.send().await.map_err(|err| {
            let err = abbreviate(&err.to_string());
            TestCaseError::fail(format!("no response ({err}); the server hung or hung up"))
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|err| TestCaseError::fail(format!("the body broke off: {err}")))?;
        Ok(Outcome {
            status,
            content_type: header_text(&headers, "content-type"),
            request_id: header_text(&headers, "x-request-id"),
            json: serde_json::from_slice(&body).ok(),
            body: body.to_vec(),
        })
    }
}

fn header_text(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

// --- checking responses ----------------------------------------------------------------------

/// What came back for one request.
struct Outcome {
    status: reqwest::StatusCode,
    content_type: String,
    request_id: String,
    body: Vec<u8>,
    /// The body, if it is JSON.
    json: Option<Value>,
}

impl Outcome {
    /// What fails a case at once: a 5xx, an internal error, a body that is not GraphQL JSON
    /// (GraphiQL's page aside), a non-2xx answer without errors.
    fn check(&self) -> Result<(), TestCaseError> {
        prop_assert!(
            self.status.as_u16() < 500,
            "a server error: {}",
            self.describe()
        );
        if self.content_type.starts_with("text/html") {
            // GraphiQL, for a GET that asks for HTML.
            return Ok(());
        }
        let body = self
            .json
            .as_ref()
            .ok_or_else(|| TestCaseError::fail(format!("not a JSON body: {}", self.describe())))?;
        if !self.status.is_success() {
            prop_assert!(
                body["errors"].as_array().is_some_and(|e| !e.is_empty()),
                "an error status without errors: {}",
                self.describe()
            );
        }
        if let Some(errors) = body.get("errors") {
            let errors = errors.as_array().ok_or_else(|| {
                TestCaseError::fail(format!("errors is not a list: {}", self.describe()))
            })?;
            for error in errors {
                prop_assert!(
                    error["extensions"]["code"] != "INTERNAL_SERVER_ERROR",
                    "an internal error: {}",
                    self.describe()
                );
            }
        }
        Ok(())
    }

    /// The messages of errors without `extensions.code`, with quoted names, numbers and
    /// bracket runs blanked so that one kind of error is counted once.
    fn uncoded_errors(&self) -> Vec<String> {
        static VARYING: LazyLock<regex::Regex> =
            LazyLock::new(|| regex::Regex::new(r#""[^"]*"|\d+|[\[\]{}]{2,}"#).expect("pattern"));
        self.errors()
            .filter(|error| !error["extensions"]["code"].is_string())
            .map(|error| {
                let message = error["message"].as_str().unwrap_or("(no message)");
                VARYING.replace_all(message, "…").into_owned()
            })
            .collect()
    }

    /// The GraphQL errors in the body, if any.
    fn errors(&self) -> impl Iterator<Item = &Value> {
        self.json
            .as_ref()
            .and_then(|body| body["errors"].as_array())
            .into_iter()
            .flatten()
    }

    fn describe(&self) -> String {
        format!(
            "status {}, x-request-id {}, body {}",
            self.status,
            self.request_id,
            abbreviate(&String::from_utf8_lossy(&self.body))
        )
    }

    /// Whether the request got past parsing and validation: some field resolved or failed
    /// in its resolver.
    fn reached_resolvers(&self) -> bool {
        let data = self.json.as_ref().map(|body| &body["data"]);
        data.and_then(Value::as_object)
            .is_some_and(|data| !data.is_empty())
            || self.errors().any(|error| error.get("path").is_some())
    }
}

/// Counts of what the run provoked, printed at the end to show how deep the cases reached.
#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, usize>,
    codes: BTreeMap<String, usize>,
    requests: usize,
    reached_resolvers: usize,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome) {
        *self.statuses.entry(outcome.status.as_u16()).or_default() += 1;
        for code in outcome
            .errors()
            .filter_map(|e| e["extensions"]["code"].as_str())
        {
            *self.codes.entry(code.to_owned()).or_default() += 1;
        }
        self.requests += 1;
        self.reached_resolvers += usize::from(outcome.reached_resolvers());
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests, {} reached resolvers; statuses {:?}; error codes {:?}",
            self.requests, self.reached_resolvers, self.statuses, self.codes
        )
    }
}

/// A text for a failure message: runs of one character collapsed (`['x' × 300000]`), and
/// what is still long cut to its ends.
fn abbreviate(text: &str) -> String {
    const RUN: usize = 32;
    const KEEP: usize = 800;
    let mut collapsed = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let mut run = 1;
        while chars.next_if_eq(&c).is_some() {
            run += 1;
        }
        if run >= RUN {
            collapsed.push_str(&format!("[{c:?} × {run}]"));
        } else {
            collapsed.extend(std::iter::repeat_n(c, run));
        }
    }
    let count = collapsed.chars().count();
    if count <= 2 * KEEP {
        return collapsed;
    }
    let head: String = collapsed.chars().take(KEEP).collect();
    let tail: String = collapsed.chars().skip(count - KEEP).collect();
    format!("{head}…[{} characters left out]…{tail}", count - 2 * KEEP)
}

// --- requests --------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
}

/// Who the request claims to be.
#[derive(Debug, Clone)]
enum Auth {
    Anonymous,
    /// `Authorization: Bearer <owner token>`.
    Owner,
    /// `Coder-Session-Token: <owner token>`.
    OwnerSessionHeader,
    /// `Coder-Agent-Token: <the seeded agent's token>`.
    Agent,
    /// A credential header with any bytes a header may carry.
    Garbage {
        header: &'static str,
        value: Vec<u8>,
    },
}

/// One generated HTTP request to `/graphql`.
#[derive(Clone)]
struct Request {
    method: Method,
    auth: Auth,
    content_type: Option<&'static str>,
    accept: Option<&'static str>,
    /// The POST body.
    body: Vec<u8>,
    /// The GET query string.
    params: Vec<(String, String)>,
}

impl Request {
    fn size(&self) -> usize {
        self.body.len()
            + self
                .params
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:?} /graphql, auth {:?}", self.method, self.auth)?;
        writeln!(
            f,
            "content-type {:?}, accept {:?}",
            self.content_type, self.accept
        )?;
        match self.method {
            Method::Get => {
                for (key, value) in &self.params {
                    writeln!(f, "?{key}={}", abbreviate(value))?;
                }
                Ok(())
            }
            Method::Post => write!(
                f,
                "body ({} bytes): {}",
                self.body.len(),
                abbreviate(&String::from_utf8_lossy(&self.body))
            ),
        }
    }
}

// --- request strategies ----------------------------------------------------------------------

/// Builds the request strategy from the served schema and the seeded rows.
struct Generator {
    schema: SchemaModel,
    ids: Vec<String>,
    license_secret: [u8; 32],
    any_value: BoxedStrategy<Val>,
}

impl Generator {
    fn new(seeded: &Seeded) -> Self {
        Generator {
            schema: SchemaModel::served(),
            ids: seeded.ids.clone(),
            license_secret: seeded.app.license_secret,
            any_value: any_value(),
        }
    }

    fn documents(&self, chaos: bool) -> BoxedStrategy<Document> {
        DocumentGenerator::new(
            &self.schema,
            &self.ids,
            self.license_secret,
            chaos,
            self.any_value.clone(),
        )
        .document()
    }

    /// Every kind of request, weighted toward schema-shaped documents.
    fn request(&self) -> BoxedStrategy<Request> {
        let clean = self.graphql_request(false);
        let chaotic = self.graphql_request(true);
        let truncated = (chaotic.clone(), any::<Index>()).prop_map(|(mut request, cut)| {
            if !request.body.is_empty() {
                request.body.truncate(cut.index(request.body.len()));
            }
            request
        });
        let bytes = (prop::collection::vec(any::<u8>(), 0..512), auth(true))
            .prop_map(|(body, auth)| post(body, auth));
        let json = (
            prop_oneof![self.any_value.clone(), deep(MAX_JSON_DEPTH)],
            auth(true),
        )
            .prop_map(|(value, auth)| post(value.to_json().into_bytes(), auth));
        let envelope_key = prop::sample::select(vec![
            "query",
            "variables",
            "operationName",
            "extensions",
            "id",
            "Query",
        ]);
        let wrong_envelope = (
            prop::collection::vec((envelope_key, self.any_value.clone()), 0..5),
            any::<bool>(),
            auth(true),
        )
            .prop_map(|(fields, batch, auth)| {
                let object = Val::Object(
                    fields
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect(),
                );
                let value = if batch {
                    Val::List(vec![object.clone(), object])
                } else {
                    object
                };
                post(value.to_json().into_bytes(), auth)
            });
        prop_oneof![
            8 => clean,
            6 => chaotic,
            1 => truncated,
            1 => bytes,
            1 => json,
            1 => wrong_envelope,
        ]
        .boxed()
    }

    /// A document with its variables and operation name, as POST JSON or over GET; with
    /// `chaos`, also an envelope of the wrong shape and unusual content types.
    fn graphql_request(&self, chaos: bool) -> BoxedStrategy<Request> {
        let (operation_name, variables, content_type) = if chaos {
            let operation_name = prop_oneof![
                6 => Just(OperationName::Omitted),
                2 => Just(OperationName::First),
                1 => Just(OperationName::Last),
                1 => "[A-Za-z]{1,6}".prop_map(OperationName::Other),
                1 => self.any_value.clone().prop_map(OperationName::WrongType),
            ];
            let variables = prop_oneof![
                8 => Just(Variables::Generated),
                1 => Just(Variables::Omitted),
                1 => Just(Variables::Null),
                1 => prop_oneof![self.any_value.clone(), deep(MAX_JSON_DEPTH)]
                    .prop_map(Variables::WrongType),
            ];
            let content_type = prop_oneof![
                8 => Just(Some("application/json")),
                1 => Just(None),
                1 => prop::sample::select(vec![
                    "application/graphql-response+json",
                    "application/json; charset=latin1",
                    "text/plain",
                    "application/graphql",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x",
                ])
                .prop_map(Some),
            ];
            (
                operation_name.boxed(),
                variables.boxed(),
                content_type.boxed(),
            )
        } else {
            (
                prop_oneof![Just(OperationName::Omitted), Just(OperationName::First)].boxed(),
                Just(Variables::Generated).boxed(),
                Just(Some("application/json")).boxed(),
            )
        };
        let accept = prop_oneof![
            4 => Just(None),
            2 => Just(Some("application/graphql-response+json")),
            1 => Just(Some("application/json")),
            1 => Just(Some("text/html")),
            1 => Just(Some("*/*")),
        ];
        let extensions = if chaos {
            prop::option::weighted(0.05, self.any_value.clone()).boxed()
        } else {
            Just(None).boxed()
        };
        (
            self.documents(chaos),
            operation_name,
            variables,
            extensions,
            prop::bool::weighted(0.1),
            auth(chaos),
            content_type,
            accept,
        )
            .prop_map(
                |(
                    document,
                    operation_name,
                    variables,
                    extensions,
                    get,
                    auth,
                    content_type,
                    accept,
                )| {
                    let rendered = document.render();
                    let envelope = Envelope {
                        operation_name: match operation_name {
                            OperationName::Omitted => None,
                            OperationName::First => rendered.names.first().map(json_string),
                            OperationName::Last => rendered.names.last().map(json_string),
                            OperationName::Other(name) => Some(json_string(&name)),
                            OperationName::WrongType(value) => Some(value.to_json()),
                        },
                        variables: match variables {
                            Variables::Generated => Some(rendered.variables),
                            Variables::Omitted => None,
                            Variables::Null => Some("null".to_owned()),
                            Variables::WrongType(value) => Some(value.to_json()),
                        },
                        extensions: extensions.map(|value| value.to_json()),
                        query: rendered.query,
                    };
                    // URLs of more than a few kilobytes are refused by clients and proxies
                    // before any server sees them.
                    if get && envelope.size() < 4_000 {
                        envelope.get(auth, accept)
                    } else {
                        envelope.post(auth, content_type, accept)
                    }
                },
            )
            .boxed()
    }
}

/// How `operationName` is sent.
#[derive(Debug, Clone)]
enum OperationName {
    Omitted,
    First,
    Last,
    Other(String),
    WrongType(Val),
}

/// How `variables` is sent.
#[derive(Debug, Clone)]
enum Variables {
    Generated,
    Omitted,
    Null,
    WrongType(Val),
}

/// The parts of a GraphQL request, as JSON texts (all but the query).
struct Envelope {
    query: String,
    variables: Option<String>,
    operation_name: Option<String>,
    extensions: Option<String>,
}

impl Envelope {
    fn size(&self) -> usize {
        [&self.variables, &self.operation_name, &self.extensions]
            .into_iter()
            .flatten()
            .map(String::len)
            .sum::<usize>()
            + self.query.len()
    }

    fn get(self, auth: Auth, accept: Option<&'static str>) -> Request {
        let mut params = vec![("query".to_owned(), self.query)];
        if let Some(variables) = self.variables {
            params.push(("variables".to_owned(), variables));
        }
        if let Some(name) = self.operation_name {
            let name = serde_json::from_str::<String>(&name).unwrap_or(name);
            params.push(("operationName".to_owned(), name));
        }
        Request {
            method: Method::Get,
            auth,
            content_type: None,
            accept,
            body: Vec::new(),
            params,
        }
    }

    fn post(
        self,
        auth: Auth,
        content_type: Option<&'static str>,
        accept: Option<&'static str>,
    ) -> Request {
        let mut fields = vec![format!("\"query\":{}", json_string(&self.query))];
        if let Some(variables) = self.variables {
            fields.push(format!("\"variables\":{variables}"));
        }
        if let Some(name) = self.operation_name {
            fields.push(format!("\"operationName\":{name}"));
        }
        if let Some(extensions) = self.extensions {
            fields.push(format!("\"extensions\":{extensions}"));
        }
        Request {
            method: Method::Post,
            auth,
            content_type,
            accept,
            body: format!("{{{}}}", fields.join(",")).into_bytes(),
            params: Vec::new(),
        }
    }
}

fn json_string(text: impl AsRef<str>) -> String {
    Value::from(text.as_ref()).to_string()
}

fn post(body: Vec<u8>, auth: Auth) -> Request {
    Request {
        method: Method::Post,
        auth,
        content_type: Some("application/json"),
        accept: None,
        body,
        params: Vec::new(),
    }
}

/// Credentials: mostly the owner's for clean documents, so that they reach resolvers.
fn auth(chaos: bool) -> BoxedStrategy<Auth> {
    let header = prop::sample::select(vec![
        "authorization",
        "coder-session-token",
        "coder-agent-token",
        "coder-provisioner-key",
    ]);
    // Visible ASCII, space, tab and obs-text: every byte a header value may hold.
    let byte = prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => 0x80u8..=0xff];
    let value = prop_oneof![
        2 => prop::collection::vec(byte, 0..60),
        2 => prop::sample::select(vec![
            "Bearer ",
            "Bearer",
            "bearer a-b",
            "Basic YWRtaW46YWRtaW4=",
            "Bearer 00000000-0000-0000-0000-000000000000-secret",
            "Bearer -",
            "Bearer a-b-c",
            "-",
            "00000000-0000-0000-0000-000000000000-x",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ];
    let owner = if chaos { 4 } else { 12 };
    prop_oneof![
        3 => Just(Auth::Anonymous),
        owner => Just(Auth::Owner),
        1 => Just(Auth::OwnerSessionHeader),
        1 => Just(Auth::Agent),
        1 => (header, value).prop_map(|(header, value)| Auth::Garbage { header, value }),
    ]
    .boxed()
}
