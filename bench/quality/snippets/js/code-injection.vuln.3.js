import vm from 'node:vm';
export function render(req, res) {
  const template = req.body.template;
  res.send(String(vm.runInNewContext(template, { user: req.user })));
}
