//! What `cargo xtask chaos` compares after every command: the objects in the state files of
//! both halves of the walkthrough against the simulator's store — orphans, duplicates, and state
//! that disagrees with the store.

use crate::common::{SimProc, Tf};
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What the state files hold, by kind: scope names, grants, client ids, keys.
fn state_objects(tfs: &[&Tf]) -> Result<BTreeMap<&'static str, Vec<Value>>> {
    let mut m: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let states = tfs.iter().filter_map(|tf| std::fs::read_to_string(tf.dir().join("terraform.tfstate")).ok());
    let states: Vec<Value> =
        states.map(|t| serde_json::from_str(&t).context("terraform.tfstate")).collect::<Result<_>>()?;
    let resources = states.iter().flat_map(|s| s["resources"].as_array().cloned().unwrap_or_default());
    for r in resources.filter(|r| r["mode"] == "managed") {
        let kind = match r["type"].as_str().unwrap_or("") {
            "maskinporten_scope" => "scope",
            "maskinporten_scope_access" => "grant",
            "maskinporten_client" => "client",
            "maskinporten_client_key" => "key",
            _ => continue,
        };
        for i in r["instances"].as_array().into_iter().flatten() {
            m.entry(kind).or_default().push(i["attributes"].clone());
        }
    }
    Ok(m)
}

/// Orphans (active in the simulator, not in either state, not listed) and duplicates.
pub fn audit(tfs: &[&Tf], sim: &SimProc, listed: &BTreeSet<String>) -> Result<(Vec<String>, Vec<String>)> {
    let st = state_objects(tfs)?;
    let s = sim.get("/__sim/state")?;
    let field = |kind: &str, f: &str| -> BTreeSet<String> {
        st.get(kind).into_iter().flatten().filter_map(|a| a[f].as_str().map(String::from)).collect()
    };
    let (scopes, clients) = (field("scope", "name"), field("client", "client_id"));
    let grants: BTreeSet<String> = st
        .get("grant")
        .into_iter()
        .flatten()
        .map(|a| format!("{},{}", a["scope"].as_str().unwrap_or(""), a["consumer_orgno"].as_str().unwrap_or("")))
        .collect();
    let keys: BTreeSet<String> = st
        .get("key")
        .into_iter()
        .flatten()
        .map(|a| format!("{},{}", a["client_id"].as_str().unwrap_or(""), a["kid"].as_str().unwrap_or("")))
        .collect();
    let active =
        |kind: &str| s[kind].as_array().cloned().unwrap_or_default().into_iter().filter(|x| x["active"] == true);
    let (mut orphans, mut dups) = (vec![], vec![]);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for x in active("scopes") {
        let name = x["name"].as_str().unwrap_or("").to_string();
        if !scopes.contains(&name) && !listed.contains(&name) {
            orphans.push(format!("scope {name}"));
        }
        *seen.entry(format!("scope {name}")).or_default() += 1;
    }
    for x in active("accesses") {
        let id = format!("{},{}", x["scope"].as_str().unwrap_or(""), x["consumer_orgno"].as_str().unwrap_or(""));
        if !grants.contains(&id) {
            orphans.push(format!("grant {id}"));
        }
        *seen.entry(format!("grant {id}")).or_default() += 1;
    }
    let mut active_clients = BTreeSet::new();
    for x in active("clients") {
        let id = x["client_id"].as_str().unwrap_or("").to_string();
        if !clients.contains(&id) && !listed.contains(&id) {
            orphans.push(format!("client {id} ({})", x["client_name"]));
        }
        if !listed.contains(&id) {
            *seen.entry(format!("client named {}", x["client_name"])).or_default() += 1;
        }
        active_clients.insert(id);
    }
    for (client, list) in s["keys"].as_object().into_iter().flatten() {
        if !active_clients.contains(client) || listed.contains(client) {
            continue;
        }
        for k in list.as_array().into_iter().flatten() {
            let id = format!("{client},{}", k["kid"].as_str().unwrap_or(""));
            if !keys.contains(&id) {
                orphans.push(format!("key {id}"));
            }
            *seen.entry(format!("key {id}")).or_default() += 1;
        }
    }
    dups.extend(seen.into_iter().filter(|(_, n)| *n > 1).map(|(k, n)| format!("{k} ×{n}")));
    Ok((orphans, dups))
}

/// After a successful apply the states must say what the simulator holds.
pub fn mismatches(tfs: &[&Tf], sim: &SimProc, notes: &mut Vec<String>, what: &str) -> Result<u64> {
    let st = state_objects(tfs)?;
    let s = sim.get("/__sim/state")?;
    let mut n = 0;
    let find = |kind: &str, key: &str, v: &Value| -> Option<Value> {
        s[kind].as_array()?.iter().find(|x| x[key] == *v && x["active"] == true).cloned()
    };
    for a in st.get("scope").into_iter().flatten() {
        match find("scopes", "name", &a["name"]) {
            Some(x) if x["description"] == a["description"] && x["at_max_age"] == a["at_max_age"] => {}
            other => {
                n += 1;
                notes.push(format!(
                    "{what}: scope {} state {} vs simulator {:?}",
                    a["name"],
                    a["description"],
                    other.map(|x| x["description"].clone())
                ));
            }
        }
    }
    for a in st.get("client").into_iter().flatten() {
        match find("clients", "client_id", &a["client_id"]) {
            Some(x) if x["description"] == a["description"] => {}
            other => {
                n += 1;
                notes.push(format!(
                    "{what}: client {} state {} vs simulator {:?}",
                    a["client_id"],
                    a["description"],
                    other.map(|x| x["description"].clone())
                ));
            }
        }
    }
    for a in st.get("key").into_iter().flatten() {
        let on_client = s["keys"][a["client_id"].as_str().unwrap_or("")].as_array().cloned().unwrap_or_default();
        if !on_client.iter().any(|k| k["kid"] == a["kid"]) {
            n += 1;
            notes.push(format!("{what}: key {} in state, not on client {}", a["kid"], a["client_id"]));
        }
    }
    Ok(n)
}
