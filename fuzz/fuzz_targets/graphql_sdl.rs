//! GraphQL SDL as scripts register it (`registerGraphQLQuery(name, sdl,
//! resolver)` and friends): any SDL and field names build a schema or give
//! a schema error with a message; never a panic.
#![no_main]

use std::sync::OnceLock;

use aiwebengine::graphql::GqlKind;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

const SNIPPETS: &[&str] = &[
    "type Query { hello: String }",
    "hello(name: String!): String",
    "type User { id: ID! name: String friends: [User!]! }",
    "users(first: Int = 10): [User]",
    "input NewUser { name: String! }",
    "enum Color { RED GREEN }",
    "scalar Date",
    "interface Node { id: ID! }",
    "union Thing = User | Node",
    "extend type Query { x: Int }",
    "\"\"\"doc\"\"\"",
    "{",
    "}",
    "(",
    ")",
    ":",
    "!",
    "[",
    "]",
    "=",
    "@deprecated",
    "#",
    "\n",
];

#[derive(Arbitrary, Debug)]
struct Field {
    kind: u8,
    name: String,
    sdl: Vec<u8>,
    raw: String,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|fields: Vec<Field>| {
    let fields = fields
        .into_iter()
        .take(4)
        .map(|f| {
            let kind = match f.kind % 3 {
                0 => GqlKind::Query,
                1 => GqlKind::Mutation,
                _ => GqlKind::Subscription,
            };
            let mut sdl: String = f
                .sdl
                .iter()
                .map(|&i| SNIPPETS[i as usize % SNIPPETS.len()])
                .collect::<Vec<_>>()
                .join(" ");
            sdl.push_str(&f.raw);
            (kind, f.name, sdl)
        })
        .collect();
    let rt = runtime();
    let _guard = rt.enter();
    if let Err(message) = aiwebengine::fuzzing::graphql_schema(fields, rt.handle()) {
        assert!(!message.is_empty(), "a schema error without a message");
    }
});
