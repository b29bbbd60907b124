#pragma once
// HTTP routes of the parameter store (operators): list every parameter, read one, change one
// (typed and validated; System-State is read-only) and its history. Thin handlers over
// params::ParameterStore, which must outlive the router.

#include "params/parameter_store.h"
#include "server/router.h"

namespace loupe::params {

void AddParameterRoutes(server::Router& router, ParameterStore& store);

}  // namespace loupe::params
