#pragma once
// HTTP routes of the object store: put (consumers only under images_for_detection/), get and
// head (bytes, content type, hash headers), delete, and paged listing by prefix. Thin handlers
// over store::ObjectStore, which must outlive the router.

#include "server/router.h"
#include "store/object_store.h"

namespace loupe::store {

void AddObjectRoutes(server::Router& router, ObjectStore& store);

}  // namespace loupe::store
