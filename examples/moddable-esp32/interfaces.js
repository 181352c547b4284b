export default [
  [
    1,
    'org.astarte-ts.examples.Telemetry',
    1,
    0,
    0,
    [
      ['/%{sensor_id}/temperature', 0, 41, 0],
      ['/%{sensor_id}/uptimeSeconds', 3, 41, 0],
    ],
  ],
  [
    1,
    'org.astarte-ts.examples.Settings',
    1,
    0,
    3,
    [
      ['/samplingPeriodMs', 1, 16, 0],
      ['/sensors/%{sensor_id}/enabled', 2, 16, 0],
      ['/label', 4, 16, 0],
    ],
  ],
  [
    1,
    'org.astarte-ts.examples.Commands',
    1,
    0,
    2,
    [
      ['/blink', 1, 1, 0],
      ['/message', 4, 1, 0],
    ],
  ],
]
