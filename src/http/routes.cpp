// SPDX-License-Identifier: Apache-2.0
#include "http/routes.hpp"

#include "http/auth_routes.hpp"
#include "http/dicom_node_routes.hpp"
#include "http/film_routes.hpp"
#include "http/kiosk_routes.hpp"
#include "http/notify_routes.hpp"
#include "http/qido_routes.hpp"
#include "http/rendered_routes.hpp"
#include "http/report_routes.hpp"
#include "http/share_routes.hpp"
#include "http/stow_routes.hpp"
#include "http/visit_routes.hpp"
#include "http/wado_routes.hpp"
#include "http/web_routes.hpp"

namespace cf::http {

void AddAllRoutes(Router& router, const ApiContext& context) {
  AddApiRoutes(router, context);
  AddAuthRoutes(router, context);
  AddQidoRoutes(router, context);
  AddWadoRoutes(router, context);
  AddRenderedRoutes(router, context);
  AddStowRoutes(router, context);
  AddReportRoutes(router, context);
  AddFilmRoutes(router, context);
  AddVisitRoutes(router, context);
  AddShareRoutes(router, context);
  AddNotifyRoutes(router, context);
  AddKioskRoutes(router, context);
  AddDicomNodeRoutes(router, context);
  AddWebRoutes(router, context);
}

}  // namespace cf::http
