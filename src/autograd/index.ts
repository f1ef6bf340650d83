export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './grad-mode.js';
export { grad, backward, type GradOptions } from './grad.js';
export { autocast, isAutocastEnabled, type AutocastOptions } from './autocast.js';
